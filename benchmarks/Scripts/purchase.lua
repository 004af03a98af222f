-- wrk script for ws-bench: POST /api/purchases as the owner (the token comes with wrk -H),
-- one unit of p1 for buyer u4, the same body every time.
wrk.method = "POST"
wrk.body = '{"buyerId":"u4","items":[{"productId":"p1","quantity":1}]}'
wrk.headers["Content-Type"] = "application/json"
