import Foundation

/// The reverse proxies (`tenda serve --trusted-proxy`) whose `X-Forwarded-For` and
/// `X-Forwarded-Proto` are believed; everyone else's are ignored.
///
/// Anybody can send those headers, so they say who is asking only when the TCP peer is a proxy
/// we run: then the client is the right-most `X-Forwarded-For` address that is not itself a
/// trusted proxy (each proxy appends the address it received the request from, so everything
/// left of that entry was written by the client and may be forged). The rate limit per address
/// and the audit trail both use the address found here.
public struct TrustedProxies: Sendable, Equatable, CustomStringConvertible {
    let ranges: [IPRange]

    /// Who asked, as far as this server can tell.
    public struct Client: Sendable, Equatable {
        /// The client's IP address in canonical text; nil only when the socket had no address.
        public var address: String?
        /// `https` when a trusted proxy says the client used TLS to reach it; else `http`, which
        /// is what `tenda serve` itself speaks.
        public var scheme: String
    }

    /// No proxy is trusted: forwarding headers are always ignored (the default).
    public static let none = TrustedProxies(ranges: [])

    init(ranges: [IPRange]) {
        self.ranges = ranges
    }

    /// Parses a comma-separated list of CIDR ranges (`10.0.0.0/8,127.0.0.1/32,::1/128`); blanks
    /// between commas are skipped, so an empty text trusts nobody.
    ///
    /// A malformed range is an error naming it, for `tenda serve` to refuse to start with.
    public init(parsing list: String) throws(InvalidProxyRange) {
        var ranges: [IPRange] = []
        for item in list.split(separator: ",") {
            let text = item.trimmingCharacters(in: .whitespaces)
            if text.isEmpty { continue }
            do throws(IPRange.ParseError) {
                ranges.append(try IPRange(parsing: text))
            } catch {
                throw InvalidProxyRange(description: error.description)
            }
        }
        self.ranges = ranges
    }

    /// A range in `--trusted-proxy` that does not parse; the description says which and why.
    public struct InvalidProxyRange: Error, Equatable, CustomStringConvertible {
        public let description: String
    }

    public var isEmpty: Bool { ranges.isEmpty }

    public var description: String { ranges.map(\.description).joined(separator: ",") }

    /// Whether `address` is one of the trusted proxies.
    func trusts(_ address: IPAddress) -> Bool {
        ranges.contains { $0.contains(address) }
    }

    /// The client behind a connection from `peer` that sent these forwarding headers (every
    /// `X-Forwarded-For` field, in the order received, and the first `X-Forwarded-Proto`).
    ///
    /// From an untrusted peer the headers are ignored. From a trusted one, `X-Forwarded-For` is
    /// read from the right, skipping trusted proxies; the first other address is the client.
    /// When every entry is a trusted proxy, the left-most is. An entry that is not an IP address
    /// stops the walk: nothing left of it can be believed, so the last proxy that was believed
    /// stands as the client.
    ///
    /// `trustingPeer` believes this one peer whatever its address: a replica that proved itself
    /// with the replication key (``ReplicationPeerMiddleware``) forwards for its clients.
    public func client(peer: String?, forwardedFor: [String], forwardedProto: String?, trustingPeer: Bool = false) -> Client {
        let peerAddress = peer.flatMap { IPAddress($0) }
        guard let peerAddress, trustingPeer || trusts(peerAddress) else { return Client(address: peerAddress?.description ?? peer, scheme: "http") }
        var client = peerAddress
        let hops = forwardedFor.flatMap { $0.split(separator: ",") }
        for hop in hops.reversed() {
            guard let address = Self.address(inForwardedEntry: hop) else { break }
            client = address
            if !trusts(address) { break }
        }
        let proto = forwardedProto?.split(separator: ",").first?.trimmingCharacters(in: .whitespaces).lowercased()
        return Client(address: client.description, scheme: proto == "https" ? "https" : "http")
    }

    /// The address in one `X-Forwarded-For` entry: `1.2.3.4`, `2001:db8::1`, and the forms with a
    /// port some proxies write (`1.2.3.4:5678`, `[2001:db8::1]:5678`).
    static func address(inForwardedEntry entry: Substring) -> IPAddress? {
        var text = entry.trimmingCharacters(in: .whitespaces)
        if text.hasPrefix("["), let close = text.firstIndex(of: "]") {
            text = String(text[text.index(after: text.startIndex)..<close])
        } else if text.filter({ $0 == ":" }).count == 1, let colon = text.firstIndex(of: ":") {
            text = String(text[..<colon])
        }
        return IPAddress(text)
    }
}
