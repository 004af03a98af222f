/// One finding of `tenda doctor`: how it went, what was looked at, and why, in words the
/// operator can act on. Printed as one line: `ok   data folder /var/lib/tenda: owned by tenda, mode 0700`.
struct Check: Sendable, Equatable {
    enum Outcome: String, Sendable {
        case ok
        /// A soft problem: tenda works, but will not for long or not well.
        case warn
        /// Something is broken or unsafe now; `tenda doctor` exits non-zero.
        case fail = "FAIL"
        /// Not asked for (no `--tls-cert`, no bot token), or impossible after an earlier failure.
        case skip
    }

    let outcome: Outcome
    /// What was looked at, with its name or path: `token secret /var/lib/tenda/token-secret`.
    let subject: String
    /// What was found and, for a problem, what to do about it.
    let detail: String

    static func ok(_ subject: String, _ detail: String) -> Check { Check(outcome: .ok, subject: subject, detail: detail) }
    static func warn(_ subject: String, _ detail: String) -> Check { Check(outcome: .warn, subject: subject, detail: detail) }
    static func fail(_ subject: String, _ detail: String) -> Check { Check(outcome: .fail, subject: subject, detail: detail) }
    static func skip(_ subject: String, _ detail: String) -> Check { Check(outcome: .skip, subject: subject, detail: detail) }

    var line: String {
        let label = outcome.rawValue
        return label + String(repeating: " ", count: 5 - label.count) + subject + ": " + detail
    }
}

/// A family of checks that belong together (the data folder's files, the store's map and
/// readers, the backups, the certificate, Telegram). Adding a check is a new conformer, listed
/// in ``DoctorCommand/families``; each is built from the command's options and looks at one thing.
protocol CheckFamily: Sendable {
    /// Runs the checks, in the order they print. Never throws: a check that cannot be made is a
    /// `fail` (or `skip`) line that says why.
    func run() async -> [Check]
}
