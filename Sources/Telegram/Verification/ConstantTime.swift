/// Comparison whose running time does not depend on where two secrets differ.
public enum ConstantTime {
    /// True when both byte strings are equal; looks at every byte even after a mismatch,
    /// so that the time taken does not tell an attacker how much of a forged MAC was right.
    ///
    /// Only the lengths are compared early: they are public (a SHA-256 MAC is always 32 bytes,
    /// a webhook secret's length is Tenda's own choice, not the secret).
    public static func isEqual(_ lhs: some Collection<UInt8>, _ rhs: some Collection<UInt8>) -> Bool {
        guard lhs.count == rhs.count else { return false }
        var difference: UInt8 = 0
        for (left, right) in zip(lhs, rhs) {
            difference |= left ^ right
        }
        return difference == 0
    }
}
