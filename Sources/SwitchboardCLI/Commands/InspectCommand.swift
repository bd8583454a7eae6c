import ArgumentParser
import Foundation
import Switchboard

/// `switchboard inspect`: a model's metadata and most indicative features.
struct InspectCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect",
        abstract: "Show a model's metadata and the most indicative features of each label."
    )

    @Argument(help: "The model file.")
    var model: String

    @Flag(help: "Print the metadata as JSON.")
    var json = false

    @Option(help: "Features shown per label.")
    var top = 8

    func validate() throws {
        try OptionChecks.integer(top, "--top", in: 0...10_000)
    }

    func run() async throws {
        let loaded = try ModelFile.read(from: model)
        let m = loaded.metadata
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
            encoder.dateEncodingStrategy = .iso8601
            let encoded = try JSONSerialization.jsonObject(with: encoder.encode(m)) as? [String: Any] ?? [:]
            // snake_case, as `GET /v1/model` and every other JSON the tool writes: the same fields had two names.
            var object = Self.snakeCased(encoded) as? [String: Any] ?? [:]
            object["id"] = loaded.id
            object["feature_count"] = loaded.statistics.featureCount
            object["entry_count"] = loaded.statistics.entryCount
            // The model file leaves the setting out when it is off (older files never had it): say it either way.
            if var features = object["features"] as? [String: Any] {
                features["symbol_char_ngrams"] = m.features.normalized.symbolCharNgrams
                object["features"] = features
            }
            if var training = object["training"] as? [String: Any] {
                training["learnt_corrections"] = loaded.statistics.learntCount
                object["training"] = training
            }
            // --top applies to the JSON too: the model stores more features per label than the default shows.
            if let features = object["top_features"] as? [String: [Any]] {
                object["top_features"] = features.mapValues { Array($0.prefix(top)) }
            }
            let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .prettyPrinted])
            print(String(decoding: data, as: UTF8.self))
            return
        }
        print("model        \(model) (\(loaded.id))")
        print("format       version \(m.formatVersion), written by switchboard \(m.toolVersion) at \(ISO8601DateFormatter().string(from: m.createdAt))")
        print("labels       \(m.labels.count): \(m.labels.joined(separator: ", "))")
        print("features     \(loaded.statistics.featureCount); word \(m.features.wordMinN)-\(m.features.wordMaxN) grams, char \(m.features.usesCharNgrams ? "\(m.features.charMinN)-\(m.features.charMaxN)" : "off") grams, accents \(m.features.foldDiacritics ? "folded" : "kept")\(m.features.lengthFeature ? ", length feature" : "")\(m.features.normalized.symbolCharNgrams ? ", character n-grams of placeholders and symbols" : "")")
        print("parameters   \(m.parameters)")
        print("training     \(m.training.documents) messages, corpus checksum \(m.training.corpusChecksum)\(m.languages.isEmpty ? "" : ", languages \(m.languages.joined(separator: ", "))")")
        if loaded.statistics.learntCount > 0 {
            print("learnt       \(loaded.statistics.learntCount) correction(s) since training (switchboard learn)")
        }
        if let cv = m.training.crossValidation {
            print(String(format: "cv           %d folds, accuracy %.4f, macro-F1 %.4f", cv.folds, cv.accuracy, cv.macroF1))
        }
        print(String(format: "calibration  scale %.3f; abstain below %.3f (precision target %.2f); from %@", m.calibration.scale, m.calibration.abstentionThreshold,
                     m.calibration.targetPrecision, m.calibration.source ?? "training (before sources were recorded)"))
        for line in NoveltyChecks.lines(m.calibration) { print("novelty      " + line) }
        print("")
        for label in m.labels {
            let features = (m.topFeatures[label] ?? []).prefix(top).map { $0.name.hasPrefix("w:") ? String($0.name.dropFirst(2)) : $0.name }
            print("\(label): \(features.joined(separator: " · "))")
        }
    }
}

extension InspectCommand {
    /// The JSON value with its keys in snake_case (`eceBefore` is `ece_before`, `sublinearTF` `sublinear_tf`), except
    /// the keys of maps keyed by label, which are labels.
    static func snakeCased(_ value: Any, keysAreLabels: Bool = false) -> Any {
        if let array = value as? [Any] { return array.map { snakeCased($0) } }
        guard let object = value as? [String: Any] else { return value }
        var out: [String: Any] = [:]
        for (key, item) in object {
            let name = keysAreLabels ? key : key.snakeCased
            out[name] = keysAreLabels ? item : snakeCased(item, keysAreLabels: ["top_features", "documents_per_label"].contains(name))
        }
        return out
    }
}
