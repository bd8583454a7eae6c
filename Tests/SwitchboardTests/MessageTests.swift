import Testing
@testable import Switchboard

@Test func sourceLocationDescribesLineOrIndex() {
    #expect(SourceLocation(file: "a.jsonl", line: 3).description == "a.jsonl:3")
    #expect(SourceLocation(file: "a.json", index: 7).description == "a.json#7")
    #expect(SourceLocation(file: "-").description == "-")
}
