// Routing latency (issue 4), with ordo-one/package-benchmark.
//
//   swift package --package-path Benchmarks/Latency --scratch-path Benchmarks/Latency/.build benchmark
//
// Loads models/default.sbm and models/policy.yaml once (paths relative to this file, so the working
// directory does not matter), then measures:
// - `engine.route(Message(text:))` of one fixed 300-character message mixing French and English, one
//   call per sample, without and with `explain: true` (targets: p99 <= 50 µs);
// - the same call on an engine loaded without the policy (no rules), to see what the rules cost;
// - `engine.routeBatch` of 10,000 messages (examples/inbox.txt cycled) with 1 and with 2 workers, one
//   batch per sample (target: 2 workers >= 1.7x the throughput of 1);
// - `Decision.json()` of the explained decision: the body `switchboard serve` and `route --json` write;
// - a calibration: fixed arithmetic of about the same duration, whose tail is the machine's alone, and of a half
//   and a quarter of it, to see how the machine's tail grows with a call's length.
import Benchmark
import Foundation
import Switchboard

/// The repository root: four directories above this file (Benchmarks/Latency/Benchmarks/RouteLatency/).
let repositoryRoot: URL = {
    var url = URL(fileURLWithPath: #filePath)
    for _ in 0..<5 { url.deleteLastPathComponent() }
    return url
}()

let engine: RoutingEngine = {
    do {
        return try RoutingEngine(
            modelPath: repositoryRoot.appendingPathComponent("models/default.sbm").path,
            policyPath: repositoryRoot.appendingPathComponent("models/policy.yaml").path)
    } catch {
        fatalError("cannot load the model or the policy under \(repositoryRoot.path): \(error)")
    }
}()

/// Exactly 300 characters (checked below), French and English, a claim with a reference number.
let fixedText = "Bonjour, suite au dégât des eaux survenu hier soir dans ma cuisine, je voudrais déclarer un sinistre sur mon contrat habitation MRH-448120. Hello, my tenant also reports water damage to the flat below and asks who pays for the repairs and the expert visit. Merci de me rappeler vite, c'est urgent !!!"

/// The same model without a policy (each label its own queue, no rules), to see what the policy's rules cost.
let engineWithoutPolicy: RoutingEngine = {
    do {
        return try RoutingEngine(modelPath: repositoryRoot.appendingPathComponent("models/default.sbm").path)
    } catch {
        fatalError("cannot load the model under \(repositoryRoot.path): \(error)")
    }
}()

let batch: [Message] = {
    let inbox = (try? String(contentsOf: repositoryRoot.appendingPathComponent("examples/inbox.txt"), encoding: .utf8)) ?? fixedText
    let lines = inbox.split(separator: "\n").map(String.init).filter { !$0.isEmpty }
    return (0..<10_000).map { Message(text: lines[$0 % lines.count], id: String($0)) }
}()

let benchmarks: @Sendable () -> Void = {
    precondition(fixedText.count == 300, "the fixed message has \(fixedText.count) characters, not 300")
    let message = Message(text: fixedText)
    _ = engine.route(message, explain: true)  // load the models before any measurement
    _ = engineWithoutPolicy.route(message)

    let single = Benchmark.Configuration(
        metrics: [.wallClock, .throughput, .mallocCountTotal],
        timeUnits: .microseconds,
        warmupIterations: 1_000,
        maxDuration: .seconds(10),
        maxIterations: 100_000
    )
    Benchmark("route (300 chars)", configuration: single) { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(engine.route(message))
        }
    }
    Benchmark("route (300 chars) explain", configuration: single) { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(engine.route(message, explain: true))
        }
    }
    Benchmark("route (300 chars) without policy", configuration: single) { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(engineWithoutPolicy.route(message))
        }
    }
    let explained = engine.route(message, explain: true)
    Benchmark("decision JSON (explained)", configuration: single) { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(explained.json())
        }
    }
    // The machine's own tail: a fixed amount of arithmetic with no memory traffic and no allocation, about as
    // long as one route. Its p99 against its p50 shows how much of the routes' tail the machine adds by itself
    // (interrupts, other tenants of the host), whatever the code does.
    for (name, rounds) in [("calibration: fixed arithmetic", 26_000), ("calibration: fixed arithmetic, half", 13_000), ("calibration: fixed arithmetic, quarter", 6_500)] {
        Benchmark(name, configuration: single) { benchmark in
            for _ in benchmark.scaledIterations {
                var x: UInt64 = 0x9E37_79B9_7F4A_7C15
                for _ in 0..<rounds { x ^= x << 13; x ^= x >> 7; x ^= x << 17 }
                blackHole(x)
            }
        }
    }

    let many = Benchmark.Configuration(
        metrics: [.wallClock, .throughput, .peakMemoryResident],
        timeUnits: .milliseconds,
        warmupIterations: 1,
        maxDuration: .seconds(20),
        maxIterations: 15
    )
    for workers in [1, 2] {
        Benchmark("routeBatch 10000 messages, workers \(workers)", configuration: many) { benchmark in
            for _ in benchmark.scaledIterations {
                blackHole(engine.routeBatch(batch, workers: workers))
            }
        }
    }
}
