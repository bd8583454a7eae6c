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

/// A negation reaches three tokens: one further back does not deny the keyword.
@Test func aNegationReachesThreeTokens() {
    let urgent = phrases(["urgent"])
    #expect(!NegationScope.affirms("not really very urgent", anyOf: urgent))
    #expect(NegationScope.affirms("not at all sure why this is urgent", anyOf: urgent))
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
