import Crypto

/// Signs initData and Login Widget fields with a bot token exactly as Telegram would.
///
/// For tests and for the project's own stand-ins of Telegram (an end-to-end test that
/// needs a browser to sign in). Nothing is added: pass `auth_date` (and `user`, as the
/// JSON text it should carry) among the fields. A `hash` already present is replaced.
public enum TelegramSigner {
    /// A MiniApp `initData` query string: the fields sorted by key, percent-encoded, `hash` last.
    public static func signInitData(_ fields: [String: String], botToken: String) -> String {
        var unsigned = fields
        unsigned.removeValue(forKey: "hash")
        let hash = HashCheck.hash(
            dataCheckString: DataCheckString.make(unsigned, excluding: []),
            key: HashCheck.initDataKey(botToken: botToken))
        return QueryString.encode(
            DataCheckString.sortedPairs(unsigned) + [(key: "hash", value: hash)])
    }

    /// The Login Widget fields with their `hash` added.
    public static func signLoginWidget(
        _ fields: [String: String], botToken: String
    ) -> [String: String] {
        var signed = fields
        signed["hash"] = HashCheck.hash(
            dataCheckString: DataCheckString.make(fields, excluding: ["hash"]),
            key: HashCheck.loginWidgetKey(botToken: botToken))
        return signed
    }
}
