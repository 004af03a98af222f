import Foundation

/// The `auth_date` field: when Telegram signed the data, in whole Unix seconds.
enum AuthDate {
    /// The signing date, refused when it is missing, not an integer, or older than `maxAge`.
    ///
    /// `maxAge` 0 means no limit, so that recorded vectors stay verifiable. A date in the
    /// future is accepted: the signature proves Telegram issued it, so it only means the
    /// clocks disagree.
    static func verified(
        in fields: [String: String], now: Date, maxAge: TimeInterval
    ) throws(TelegramAuthError) -> Date {
        guard let text = fields["auth_date"] else {
            throw TelegramAuthError(.missingAuthDate, "The data has no auth_date.")
        }
        // Up to the last second of the year 9999: a time any date formatter can still write.
        guard let seconds = Int64(text), seconds >= 0, seconds <= 253_402_300_799 else {
            throw TelegramAuthError(.malformed, "auth_date is not a Unix time in seconds.")
        }
        let date = Date(timeIntervalSince1970: TimeInterval(seconds))
        if maxAge > 0, now.timeIntervalSince(date) > maxAge {
            throw TelegramAuthError(.expired, "auth_date is more than \(maxAge) seconds old.")
        }
        return date
    }

    /// Refuses a negative or NaN `maxAge`, which would otherwise silently mean "no limit".
    static func checkMaxAge(_ maxAge: TimeInterval) {
        precondition(maxAge >= 0, "maxAge must be 0 (no limit) or a positive number of seconds")
    }
}
