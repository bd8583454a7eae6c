import Foundation
@testable import Switchboard

/// Options that fix every hyperparameter: the textbook model (word unigrams counted as they are, alpha 1, no
/// IDF, no length normalisation, no character n-grams, no length feature), so figures can be worked out by hand.
func textbookOptions(_ variant: NaiveBayesParameters.Variant, uniformPriors: Bool) -> TrainingOptions {
    var options = TrainingOptions()
    options.features = FeatureSettings(wordMinN: 1, wordMaxN: 1, charMinN: 0, charMaxN: 0, lengthFeature: false)
    options.variant = variant
    options.alpha = 1
    options.charWeight = 1
    options.uniformPriors = uniformPriors
    options.sublinearTF = false
    options.idf = false
    options.normalizeLength = false
    options.folds = 2
    return options
}

/// A fresh temporary directory for one test.
func temporaryDirectory() throws -> String {
    let path = NSTemporaryDirectory() + "switchboard-tests-" + UUID().uuidString
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

/// Writes `text` to `name` inside `directory`; returns the path.
@discardableResult
func write(_ text: String, to name: String, in directory: String) throws -> String {
    let path = (directory as NSString).appendingPathComponent(name)
    try Data(text.utf8).write(to: URL(fileURLWithPath: path))
    return path
}

/// A small corpus with three clearly separated labels, in French and English.
let smallCorpus: [LabeledExample] = {
    let rows: [(String, String)] = [
        ("claim", "j'ai eu un accident de voiture ce matin"), ("claim", "dégât des eaux dans ma cuisine, fuite sous l'évier"),
        ("claim", "my car was hit in the parking lot yesterday"), ("claim", "water leak from the upstairs flat, ceiling damaged"),
        ("claim", "cambriolage cette nuit, on a volé la télé"), ("claim", "burglary last night, they stole my laptop"),
        ("claim", "incendie dans le garage hier soir"), ("claim", "fire in the kitchen, smoke damage everywhere"),
        ("billing", "pourquoi ma cotisation a augmenté ce mois-ci ?"), ("billing", "le prélèvement a été rejeté par ma banque"),
        ("billing", "why was I charged twice this month?"), ("billing", "my direct debit failed, how do I pay the premium"),
        ("billing", "je voudrais changer la date de prélèvement"), ("billing", "can I pay my premium monthly instead of yearly"),
        ("billing", "remboursement du trop-perçu sur ma cotisation"), ("billing", "refund of the overpaid premium please"),
        ("other", "merci beaucoup pour votre aide, bonne journée"), ("other", "thanks a lot, have a nice day"),
        ("other", "vous êtes ouverts le samedi ?"), ("other", "what are your opening hours on saturday"),
        ("other", "bonjour"), ("other", "hello there"), ("other", "où se trouve votre agence à Lyon ?"), ("other", "where is your office in London"),
    ]
    return rows.map { LabeledExample(text: $0.1, label: $0.0) }
}()

/// Where two byte strings first differ, or nil when they are equal: for `#expect(firstDifference(a, b) == nil)`,
/// because `#expect(a == b)` on megabytes of model file computes a collection diff when it fails, which takes
/// many minutes.
func firstDifference(_ a: Data, _ b: Data) -> String? {
    if a == b { return nil }
    let offset = zip(a, b).enumerated().first { $0.element.0 != $0.element.1 }?.offset ?? min(a.count, b.count)
    return "\(a.count) bytes against \(b.count), first difference at byte \(offset)"
}
