import ArgumentParser

/// Range checks shared by the commands' `validate()`: a value out of range is a usage error that names the
/// option, where it used to trap later on a conversion or an overflow (`--threads 9223372036854775807`,
/// `--chunk-megabytes nan`).
enum OptionChecks {
    /// The most worker threads any command accepts: far above any machine's cores, far below an overflow.
    static let maximumThreads = 4_096

    /// `--threads`, when given: 1 to ``maximumThreads``.
    static func threads(_ value: Int?) throws {
        guard let value else { return }
        guard (1...maximumThreads).contains(value) else {
            throw ValidationError("--threads must be between 1 and \(maximumThreads) (got \(value))")
        }
    }

    /// A finite number in `range`.
    static func number(_ value: Double?, _ name: String, in range: ClosedRange<Double>) throws {
        guard let value else { return }
        guard value.isFinite, range.contains(value) else {
            throw ValidationError("\(name) must be a number between \(format(range.lowerBound)) and \(format(range.upperBound)) (got \(value))")
        }
    }

    /// An integer in `range`.
    static func integer(_ value: Int?, _ name: String, in range: ClosedRange<Int>) throws {
        guard let value else { return }
        guard range.contains(value) else {
            throw ValidationError("\(name) must be between \(range.lowerBound) and \(range.upperBound) (got \(value))")
        }
    }

    private static func format(_ x: Double) -> String {
        x == x.rounded() && abs(x) < 1e15 ? String(Int(x)) : String(x)
    }
}
