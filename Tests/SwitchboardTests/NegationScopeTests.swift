import Foundation
import Testing
@testable import Switchboard

/// The keywords as the policy reads them (tokens in sequence, hashed).
private func phrases(_ keywords: [String]) -> [[UInt64]] {
    keywords.map { Tokenizer().tokens($0).filter(\.inSequence).map { FeatureHash.raw(token: $0.text) } }
}

private let injuries = phrases(["urgent", "blessé", "blessés", "injured", "hospitalisé", "inondée", "flooded", "fire", "sans logement"])

@Test(arguments: [
    "Pas de blessé, juste de la tôle froissée sur le parking",
    "Personne n'a été blessé, heureusement",
    "Aucun blessé mais la portière est enfoncée",
    "No one was injured, the car is just dented",
    "Nobody injured. Sending photos of the bumper",
    "It's not urgent, whenever you can",
    "Ce n'est pas urgent",
    "rien d'urgent, juste une question sur le constat",
    "We weren't injured and we have the other driver's details",
    "Ni blessé ni dégât matériel important",
    "PAS DE BLESSÉS !",
])
func aDeniedKeywordDoesNotCount(text: String) {
    #expect(!NegationScope.affirms(text, anyOf: injuries))
}

@Test(arguments: [
    "C'est urgent, la cuisine est inondée",
    "Pas de blessé, mais la maison est inondée",
    "pas blessé mais hospitalisé par précaution",
    "No power and the kitchen flooded overnight",
    "Not sure what to do: my son was injured",
    "I can't believe it, there was a fire in the garage",
    "Personne n'a été blessé. Mon voisin est hospitalisé.",
    "Nous sommes sans logement depuis l'incendie",
    // A keyword across a line break is not found clause by clause: the match on the whole message stands.
    "notre famille est sans\nlogement",
    // A negation of something else, or a word that is not one, before the keyword (found by a review of the
    // first version of this check, which let a negation reach three words whatever they were).
    "Accident hier soir avec 3 personnes dont 2 blessées, je déclare le sinistre",
    "Claim no 784512 urgent please call me back about my car accident",
    "Toujours pas de nouvelles URGENT, ma maison est sinistrée depuis 3 semaines",
    "Still no reply urgent, my claim for the water damage has been open for 3 weeks",
    "Plus que jamais urgent, sinistre dégât des eaux toujours pas traité",
    "No electricity no heating URGENT, storm damage claim",
    "Pas d'eau pas de chauffage URGENT, sinistre tempête",
    "Storm damage claim - no power - house flooded",
    "C'est sans doute urgent, ma fille a eu un accident de voiture",
    "La cave est sans cesse inondée depuis la tempête",
    "Never seen a fire like this, the whole kitchen burnt",
    "Il n'y a rien de plus urgent, ma maison a brûlé",
    "Elle n'est que blessée heureusement, accident de voiture",
    "Not only flooded but the roof also collapsed",
    "Il faut intervenir avant que la cave ne soit inondée",
    "Don't wait it's urgent, water damage claim in my flat",
    "Oh no my house flooded last night",
    "Non maison inondée depuis hier",
    "Je ne peux pas conduire car blessé, accident de voiture hier",
    "Sinistre auto, le conducteur non assuré est blessé",
    "Car accident. Injured? No. Urgent: call me back",
])
func anAffirmedKeywordCounts(text: String) {
    #expect(NegationScope.affirms(text, anyOf: injuries))
}

/// A keyword that holds a negation itself is matched as written, whatever precedes it.
@Test func aKeywordThatDeniesItselfIsTakenAsWritten() {
    let notReceived = phrases(["not received", "pas reçu"])
    #expect(NegationScope.affirms("I have still not received my green card", anyOf: notReceived))
    #expect(NegationScope.affirms("Je n'ai toujours pas reçu mon attestation", anyOf: notReceived))
    let tokens = [1, 2].map { NegationScope.Token(hash: $0, inSequence: true, isBreak: false) }
    #expect(NegationScope.occurrences(in: tokens, of: [[3]]) == .init(affirmed: 0, denied: 0))
}

/// A negation denies across at most two small words, and only those.
@Test func aNegationDeniesAcrossTwoSmallWordsAtMost() {
    let urgent = phrases(["urgent"])
    #expect(!NegationScope.affirms("not really very urgent", anyOf: urgent))
    #expect(!NegationScope.affirms("pas du tout urgent", anyOf: urgent))
    #expect(!NegationScope.affirms("not at all urgent", anyOf: urgent))
    #expect(NegationScope.affirms("not really all that urgent", anyOf: urgent))
    #expect(NegationScope.affirms("not at all sure why this is urgent", anyOf: urgent))
    #expect(NegationScope.affirms("no idea, urgent", anyOf: urgent))
}

/// An outsized message of clause marks and keywords is checked in one pass of the tokenizer over a text of the
/// same length (the first version tripled it, and took seconds).
@Test func manyClausesAreCheckedInOnePass() {
    let text = "Sinistre dégât des eaux, pas urgent, " + String(repeating: "eau,", count: 60_000) + " maison inondée"
    let started = ContinuousClock.now
    #expect(NegationScope.affirms(text, anyOf: injuries))
    #expect(ContinuousClock.now - started < .seconds(30))
}

/// Through the engine: the shipped policy's urgent-claim rule fires for an injury and not for its absence.
@Test func theShippedPolicyIgnoresDeniedInjuries() throws {
    let engine = try RoutingEngine(modelPath: repositoryRoot + "/models/default.sbm", policyPath: repositoryRoot + "/models/policy.yaml")
    let denied = engine.route(Message(text: "Bonjour, accrochage ce matin sur le parking du supermarché, pas de blessé, juste le pare-choc arrière enfoncé. Comment déclarer le sinistre ?"))
    let affirmed = engine.route(Message(text: "Bonjour, accrochage ce matin sur le parking du supermarché, mon fils est blessé, le pare-choc arrière est enfoncé. Comment déclarer le sinistre ?"))
    #expect(denied.label == "claim" && affirmed.label == "claim")
    #expect(!denied.rules.contains("urgent-claim"))
    #expect(affirmed.rules.contains("urgent-claim"))
    #expect(affirmed.priority < denied.priority)
}
