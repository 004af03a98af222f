/// The one-time login `serve --demo` prints for the demo shop's owner.
public struct DemoLogin: Sendable {
    /// The owner's name, as the shop knows them.
    public let ownerName: String
    /// A one-time login code (valid for the shop's login-code lifetime).
    public let code: String
    /// The MiniApp's address the code is used at.
    public let publicURL: String

    /// Opens the MiniApp signed in as the owner.
    public var link: String { "\(publicURL)/?code=\(code)" }
}
