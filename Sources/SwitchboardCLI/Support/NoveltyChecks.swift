import Foundation
import Switchboard

/// How `train` and `inspect` describe a model's checks for messages about things it never learnt.
enum NoveltyChecks {
    /// One line per check the calibration sets, or one that says there is none.
    static func lines(_ c: CalibrationSummary) -> [String] {
        var lines: [String] = []
        if let share = c.minimumKnownShare {
            lines.append(String(format: "under %.0f%% of its words known goes to a person (the %g%% least familiar messages of calibration)",
                                share * 100, c.knownSharePercentile ?? 0))
        }
        if let likelihood = c.minimumWordLikelihood {
            lines.append(String(format: "words under %.2f of log-likelihood under their label go to a person (the %g%% most unusual messages of calibration)",
                                likelihood, c.likelihoodPercentile ?? 0))
        }
        // Said, not left out: without one, messages about what the model never learnt are routed on confidence alone.
        return lines.isEmpty ? ["none (turned off, or left to recalibration): only the confidence threshold stops messages about what the model never learnt"] : lines
    }
}
