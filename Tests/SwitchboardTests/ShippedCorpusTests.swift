import Foundation
import Testing
@testable import Switchboard

/// The repository root, found from this file's path.
let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path

private struct CorpusRow: Decodable, Hashable {
    var text: String
    var label: String
    var lang: String
    var channel: String
}

private func rows(_ split: String) throws -> [CorpusRow] {
    let directory = repositoryRoot + "/corpus/" + split
    var result: [CorpusRow] = []
    for file in try FileManager.default.contentsOfDirectory(atPath: directory).sorted() where file.hasSuffix(".jsonl") {
        let text = try String(contentsOfFile: directory + "/" + file, encoding: .utf8)
        for line in text.split(separator: "\n") where !line.isEmpty {
            result.append(try JSONDecoder().decode(CorpusRow.self, from: Data(line.utf8)))
        }
    }
    return result
}

private let productLabels: Set<String> = ["claim", "claim_followup", "complaint", "job_application", "sponsorship", "quote", "policy_change",
                                          "cancellation", "billing", "document_request", "press", "privacy", "other"]

@Test func corpusHasEnoughMessagesPerLabelAndLanguage() throws {
    let all = try rows("train") + rows("test")
    #expect(Set(all.map(\.label)) == productLabels)
    #expect(Set(all.map(\.lang)) == ["fr", "en"])
    #expect(Set(all.map(\.channel)).isSubset(of: ["messenger", "whatsapp", "email", "group"]))
    var counts: [String: Int] = [:]
    for row in all { counts["\(row.label)/\(row.lang)", default: 0] += 1 }
    for label in productLabels {
        for lang in ["fr", "en"] {
            #expect(counts["\(label)/\(lang)", default: 0] >= 150, "\(label)/\(lang): \(counts["\(label)/\(lang)", default: 0])")
        }
    }
    #expect(Set(all.map(\.text)).count == all.count, "a text appears twice")
}

@Test func testSplitFollowsTheDocumentedRule() throws {
    // Within each (label, lang): order by FNV-1a 64 of the text (then the text); the first round(20%) are test.
    let train = try rows("train"), test = try rows("test")
    var groups: [String: [CorpusRow]] = [:]
    for row in train + test { groups["\(row.label)/\(row.lang)", default: []].append(row) }
    var expectedTest = Set<String>()
    for (_, members) in groups {
        let ordered = members.sorted { a, b in
            var ha = Checksum.fnvOffset, hb = Checksum.fnvOffset
            Checksum.fnv1a(a.text.utf8, into: &ha)
            Checksum.fnv1a(b.text.utf8, into: &hb)
            return ha != hb ? ha < hb : a.text < b.text
        }
        let k = Int((0.2 * Double(members.count)).rounded(.toNearestOrEven))
        expectedTest.formUnion(ordered.prefix(k).map(\.text))
    }
    #expect(Set(test.map(\.text)) == expectedTest)
    #expect(Set(train.map(\.text)).isDisjoint(with: Set(test.map(\.text))))
}

@Test func corpusHasFewNearDuplicates() throws {
    // Word 3-shingles (words = runs of letters and digits, lower case); a pair is a near-duplicate above
    // Jaccard 0.6. The share of messages in such a pair must stay under 1%.
    let all = try rows("train") + rows("test")
    func shingles(_ text: String) -> Set<String> {
        let words = text.lowercased().split(whereSeparator: { !($0.isLetter || $0.isNumber) }).map(String.init)
        guard words.count >= 3 else { return Set(words) }
        return Set((0...(words.count - 3)).map { words[$0..<($0 + 3)].joined(separator: " ") })
    }
    let sets = all.map { shingles($0.text) }
    var index: [String: [Int]] = [:]
    for (i, set) in sets.enumerated() { for s in set { index[s, default: []].append(i) } }
    var flagged = Set<Int>()
    for (i, set) in sets.enumerated() where !set.isEmpty {
        var candidates = Set<Int>()
        for s in set { for j in index[s] ?? [] where j > i { candidates.insert(j) } }
        for j in candidates {
            let other = sets[j]
            let jaccard = Double(set.intersection(other).count) / Double(set.union(other).count)
            if jaccard > 0.6 { flagged.insert(i); flagged.insert(j) }
        }
    }
    #expect(Double(flagged.count) / Double(all.count) < 0.01, "\(flagged.count) of \(all.count) messages have a near-duplicate")
}

@Test func shippedModelIsReproducibleFromTheCorpus() throws {
    // models/default.sbm was trained by `switchboard train --output models/default.sbm --created-at 1796083200
    // corpus/train/*.jsonl`; retraining gives the same bytes (createdAt is the only field that may differ,
    // and it is fixed by --created-at).
    let shipped = try Data(contentsOf: URL(fileURLWithPath: repositoryRoot + "/models/default.sbm"))
    let directory = repositoryRoot + "/corpus/train"
    let files = try FileManager.default.contentsOfDirectory(atPath: directory).filter { $0.hasSuffix(".jsonl") }.sorted().map { directory + "/" + $0 }
    let examples = try CorpusReader.read(files).examples
    var options = TrainingOptions()
    options.createdAt = Date(timeIntervalSince1970: 1_796_083_200)
    let retrained = try ModelFile.encode(Trainer.train(examples, options: options).model)
    #expect(firstDifference(retrained, shipped) == nil)
}

@Test(arguments: [
    ("Bonjour, ma voiture a été percutée ce matin sur le parking du supermarché, le pare-choc est arraché", "claims"),
    ("Hi, any news on my claim 2026-SIN-88213? The expert visited two weeks ago and I still have no report", "claims_followup"),
    ("C'est inadmissible, trois mois sans réponse, je vais saisir le médiateur de l'assurance", "complaints"),
    ("Please find attached my CV for the claims handler position advertised on your careers page", "hr"),
    ("Bonjour, je voudrais un devis pour assurer ma maison à Nantes, 120 m2 avec jardin", "sales"),
    ("Je souhaite résilier mon contrat habitation, je déménage à l'étranger en mars", "retention"),
    ("Why has my monthly premium gone up by 15 euros? Nothing changed on my side", "billing"),
    ("Can you send me my certificate of insurance for the car, I need it for my new job", "contracts"),
    ("I'm a journalist at the Evening Post writing about flood claims; could someone from your press office comment?", "press"),
    ("Under GDPR I request a copy of all personal data you hold about me", "data_protection"),
    ("Notre club de handball cherche des sponsors pour les maillots de la saison prochaine", "partnerships"),
])
func shippedModelRoutesClearMessages(text: String, queue: String) throws {
    let engine = try RoutingEngine(modelPath: repositoryRoot + "/models/default.sbm", policyPath: repositoryRoot + "/models/policy.yaml")
    let decision = engine.route(text)
    #expect(decision.queue == queue, "\(decision.label) \(decision.confidence) \(decision.abstentionReason ?? "")")
    #expect(!decision.abstained)
}

/// The shipped policy's urgent-claim rule lists plural and feminine forms: "inondées" stayed at normal priority.
@Test(arguments: [
    "Nos caves sont inondées depuis cette nuit, je déclare un sinistre",
    "Deux incendies dans le quartier cette nuit, notre garage a brûlé, je déclare le sinistre",
    "Floods in the basement again after the storm, I need to make a claim",
])
func shippedPolicyFlagsPluralAndFeminineForms(text: String) throws {
    let engine = try RoutingEngine(modelPath: repositoryRoot + "/models/default.sbm", policyPath: repositoryRoot + "/models/policy.yaml")
    let decision = engine.route(text)
    #expect(decision.label == "claim" || decision.label == "claim_followup", "\(decision.label)")
    #expect(decision.rules.contains("urgent-claim"))
    #expect(decision.priority == 1)
}

@Test func shippedModelSendsUnfamiliarMessagesToAPerson() throws {
    let engine = try RoutingEngine(modelPath: repositoryRoot + "/models/default.sbm", policyPath: repositoryRoot + "/models/policy.yaml")
    let calibration = engine.model.metadata.calibration
    // Set at training from the 5% most unusual cross-validated messages of the corpus.
    let minimum = try #require(calibration.minimumWordLikelihood)
    #expect(minimum < 0)
    #expect(calibration.minimumKnownShare == nil)
    let text = "Hi, my quadcopter's gimbal firmware bricked after the gyroscope recalibration, any ETA on the patch?"
    let unfamiliar = engine.route(text)
    #expect(unfamiliar.abstained)
    // The confidence check comes first and may catch it already; with the threshold out of the way, the
    // word-likelihood check does.
    try engine.replace(policy: try RoutingPolicy.parse(yaml: "abstention:\n  threshold: 0.01\n", labels: engine.model.labels))
    let unusual = engine.route(text)
    #expect(unusual.abstained)
    #expect(unusual.abstentionReason?.contains("words are unusual for") == true, "\(unusual.label) \(unusual.confidence) \(unusual.abstentionReason ?? "routed")")
    #expect(!engine.route("Bonjour, je voudrais déclarer un dégât des eaux dans ma cuisine, fuite sous l'évier depuis hier soir").abstained)
}

/// A short message without any function word, in words the model knows, is not taken for a foreign language;
/// one in Spanish or Russian still is.
@Test func shortMessagesOfKnownWordsAreNotForeign() throws {
    let engine = try RoutingEngine(modelPath: repositoryRoot + "/models/default.sbm", policyPath: repositoryRoot + "/models/policy.yaml")
    let terse = engine.route("Water damage kitchen ceiling")
    #expect(terse.language == LanguageDetector.undetermined)
    #expect(terse.abstentionReason?.contains("language") != true)
    #expect(!terse.rules.contains("foreign-language"))
    for foreign in ["Hola, necesito ayuda con mi seguro de coche", "Guten Tag, ich brauche Hilfe mit meiner Versicherung",
                    "Status van mijn claim?", "Status da minha claim?"] {
        #expect(engine.route(foreign).language == LanguageDetector.other, "\(foreign)")
    }
}

@Test func explanationsNameTheFeaturesOfTheirOwnMessage() throws {
    let engine = try RoutingEngine(modelPath: repositoryRoot + "/models/default.sbm", policyPath: repositoryRoot + "/models/policy.yaml")
    let texts = ["Bonjour, suite au dégât des eaux survenu hier soir dans ma cuisine, je voudrais déclarer un sinistre",
                 "Under GDPR I request a copy of all personal data you hold about me",
                 "Notre club de handball cherche des sponsors pour les maillots de la saison prochaine",
                 "prélèvement rejeté"]
    // Each message alone, on an engine whose buffers have seen nothing else...
    let alone = try texts.map { text in
        try RoutingEngine(modelPath: repositoryRoot + "/models/default.sbm").route(text, explain: true).explanation
    }
    // ...and one after another on one engine, whose buffers keep the previous message's tokens.
    for _ in 0..<2 {
        for (text, expected) in zip(texts, alone) {
            let explanation = engine.route(text, explain: true).explanation
            #expect(explanation == expected)
            #expect(!explanation.isEmpty)
            for contribution in explanation {
                // A name, never the hash that stands in when no token of the message gives the feature.
                #expect(contribution.feature.hasPrefix("w:") || contribution.feature.hasPrefix("c:["), "\(contribution.feature)")
            }
        }
    }
    // Character n-grams are named too: a one-word message leans on them.
    let short = engine.route("sinistre", explain: true).explanation
    #expect(short.contains { $0.feature.hasPrefix("c:[") }, "\(short)")
}
