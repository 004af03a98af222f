import Foundation

/// A signed-in device as the sessions list shows it (`GET /api/auth/sessions`): never a
/// token or its hash.
public struct DeviceSessionView: Encodable, Sendable, Equatable {
    /// The id to end it with (`DELETE /api/auth/sessions/{id}`).
    public let id: String
    /// The device's first sign-in.
    public let createdAt: String
    public let lastUsedAt: String
    /// When the device must sign in again unless it refreshes before.
    public let expiresAt: String
    /// The browser or app's `User-Agent` at its newest sign-in or refresh.
    public let userAgent: String
    /// The client's address at its newest sign-in or refresh, when known.
    public let address: String?
    /// True for the session of the access token asking.
    public let current: Bool

    public init(_ session: DeviceSession) {
        id = EntityKind.session.format(session.id)
        createdAt = RFC3339.string(from: session.createdAt)
        lastUsedAt = RFC3339.string(from: session.lastUsedAt)
        expiresAt = RFC3339.string(from: session.expiresAt)
        userAgent = session.device
        address = session.address
        current = session.current
    }
}
