import Foundation
import GRDB
import Switchboard

/// An agent's correction: the message, the label it should have had, and the model that was serving.
public struct FeedbackRecord: Sendable, Hashable {
    /// The message's identifier, chosen by the caller; a correction is stored once per id.
    public var id: String
    /// The message's text.
    public var text: String
    /// The label the message should have had (one of the model's labels).
    public var label: String
    /// When the correction was first received.
    public var createdAt: Date
    /// The identifier of the model serving when it was received.
    public var modelID: String

    /// Creates a record.
    public init(id: String, text: String, label: String, createdAt: Date, modelID: String) {
        self.id = id
        self.text = text
        self.label = label
        self.createdAt = createdAt
        self.modelID = modelID
    }
}

/// What storing a correction did.
public enum FeedbackOutcome: Sendable, Hashable {
    /// The correction is new and is now on disk.
    case stored
    /// The same id with the same text and label was already stored; nothing changed.
    case duplicate(FeedbackRecord)
    /// The id was already stored with another text or label; the first one stands.
    case conflict(FeedbackRecord)
}

/// Agents' corrections, stored durably in an embedded SQLite database through GRDB.
///
/// The schema (made by the migration `v1-feedback`; a later reader may rely on it):
///
/// ```sql
/// CREATE TABLE feedback (
///     id         TEXT PRIMARY KEY NOT NULL,  -- the caller's message id; one row per id
///     text       TEXT NOT NULL,              -- the message text, as sent
///     label      TEXT NOT NULL,              -- the corrected label, one of the model's labels
///     created_at TEXT NOT NULL,              -- first receipt, ISO 8601 UTC with milliseconds
///     model_id   TEXT NOT NULL               -- the model serving then (RoutingEngine.model.id)
/// );
/// ```
///
/// The database is in WAL mode with `synchronous = FULL`: once ``record(_:)`` returns, the row survives
/// a crash or power loss, and readers never block the server's writes. Writes go through one
/// `DatabaseQueue`, on GRDB's own thread, never on the tasks that serve requests.
public final class FeedbackStore: Sendable {
    /// The database file.
    public let path: String
    private let database: DatabaseQueue

    /// Opens (or creates) the store and brings its schema up to date.
    public init(path: String) throws {
        self.path = path
        var configuration = Configuration()
        configuration.journalMode = .wal
        configuration.busyMode = .timeout(5)
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = FULL")
        }
        do {
            database = try DatabaseQueue(path: path, configuration: configuration)
            try Self.migrator.migrate(database)
        } catch {
            throw SwitchboardError(.io, "cannot open the feedback database", location: SourceLocation(file: path), cause: error)
        }
    }

    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1-feedback") { db in
            try db.execute(sql: """
                CREATE TABLE feedback (
                    id TEXT PRIMARY KEY NOT NULL,
                    text TEXT NOT NULL,
                    label TEXT NOT NULL,
                    created_at TEXT NOT NULL,
                    model_id TEXT NOT NULL
                )
                """)
        }
        return migrator
    }

    /// The timestamp format of `created_at`: ISO 8601 UTC with milliseconds, rounded (not truncated),
    /// so that a stored value read back and written again is the same text.
    static func timestamp(_ date: Date) -> String {
        let milliseconds = Int64((date.timeIntervalSince1970 * 1000).rounded())
        var seconds = milliseconds / 1000, fraction = milliseconds % 1000
        if fraction < 0 { seconds -= 1; fraction += 1000 }  // floor division, for dates before 1970
        let whole = Date(timeIntervalSince1970: Double(seconds)).formatted(Date.ISO8601FormatStyle(timeZone: .gmt))  // ...T00:14:09Z
        return whole.dropLast() + "." + String(format: "%03lld", fraction) + "Z"
    }

    static func date(_ text: String) -> Date {
        (try? Date.ISO8601FormatStyle(includingFractionalSeconds: true, timeZone: .gmt).parse(text)) ?? .distantPast
    }

    /// Stores a correction unless its id is already there; returns what happened. The row is committed
    /// (and synced) before this returns.
    public func record(_ record: FeedbackRecord) async throws -> FeedbackOutcome {
        do {
            return try await database.write { db -> FeedbackOutcome in
                try db.execute(
                    sql: "INSERT INTO feedback (id, text, label, created_at, model_id) VALUES (?, ?, ?, ?, ?) ON CONFLICT(id) DO NOTHING",
                    arguments: [record.id, record.text, record.label, Self.timestamp(record.createdAt), record.modelID])
                if db.changesCount == 1 { return .stored }
                guard let existing = try Self.fetch(db, id: record.id) else { return .stored }
                return existing.text == record.text && existing.label == record.label ? .duplicate(existing) : .conflict(existing)
            }
        } catch {
            throw SwitchboardError(.io, "cannot store feedback '\(record.id)'", location: SourceLocation(file: path), cause: error)
        }
    }

    /// Every stored correction of the database at `path`, oldest first, read without writing to it
    /// (`switchboard learn` reads the server's database this way, even while the server runs).
    ///
    /// - Throws: ``SwitchboardError`` when the database cannot be read, or names the first row that is not a
    ///   correction (see ``readRows(path:)``, which reports each such row and reads on).
    public static func readAll(path: String) throws -> [FeedbackRecord] {
        try readRows(path: path).map { try $0.get() }
    }

    /// Each row of the database at `path`, oldest first: a correction, or an error that names the row
    /// (`file#index`) and the column that is not text (NULL, binary, a number) without quoting any value.
    ///
    /// SQLite lets any value into any column, and a database edited by hand or by another tool can hold one:
    /// reading such a row the usual GRDB way traps, and the trap's message printed the row, text included.
    public static func readRows(path: String) throws -> [Result<FeedbackRecord, SwitchboardError>] {
        guard FileManager.default.fileExists(atPath: path) else {
            throw SwitchboardError(.io, "no such feedback database", location: SourceLocation(file: path))
        }
        var configuration = Configuration()
        configuration.readonly = true
        do {
            let database = try DatabaseQueue(path: path, configuration: configuration)
            return try database.read { db in
                try Row.fetchAll(db, sql: "SELECT id, text, label, created_at, model_id FROM feedback ORDER BY created_at, id").enumerated().map { index, row in
                    decode(row).mapError { problem in
                        SwitchboardError(.malformedRecord, "not a correction: \(problem)", location: SourceLocation(file: path, index: index))
                    }
                }
            }
        } catch {
            throw SwitchboardError(.io, "cannot read the feedback database (is it one written by `switchboard serve`?)", location: SourceLocation(file: path), cause: error)
        }
    }

    /// A row as a correction, or what is wrong with it (never its values).
    static func decode(_ row: Row) -> Result<FeedbackRecord, FeedbackRowProblem> {
        func text(_ column: String, numbersAllowed: Bool = false) -> Result<String, FeedbackRowProblem> {
            let value: DatabaseValue = row[column]
            switch value.storage {
            case .string(let string): return .success(string)
            case .int64(let number) where numbersAllowed: return .success(String(number))
            case .null: return .failure(FeedbackRowProblem(column: column, kind: "NULL"))
            case .blob: return .failure(FeedbackRowProblem(column: column, kind: "binary data"))
            case .int64, .double: return .failure(FeedbackRowProblem(column: column, kind: "a number"))
            }
        }
        return text("id", numbersAllowed: true).flatMap { id in
            text("text").flatMap { body in
                text("label").map { label in
                    let created: DatabaseValue = row["created_at"]
                    let model: DatabaseValue = row["model_id"]
                    return FeedbackRecord(id: id, text: body, label: label, createdAt: String.fromDatabaseValue(created).map(date) ?? .distantPast,
                                          modelID: String.fromDatabaseValue(model) ?? "")
                }
            }
        }
    }

    /// The stored correction for an id, if any.
    public func record(id: String) async throws -> FeedbackRecord? {
        try await database.read { db in try Self.fetch(db, id: id) }
    }

    /// The number of stored corrections.
    public func count() async throws -> Int {
        try await database.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM feedback") ?? 0 }
    }

    private static func fetch(_ db: Database, id: String) throws -> FeedbackRecord? {
        guard let row = try Row.fetchOne(db, sql: "SELECT id, text, label, created_at, model_id FROM feedback WHERE id = ?", arguments: [id]) else {
            return nil
        }
        switch decode(row) {
        case .success(let record): return record
        case .failure(let problem): throw SwitchboardError(.malformedRecord, "the stored correction '\(id)' is not one: \(problem)")
        }
    }
}

/// A column of a feedback row that does not hold text.
struct FeedbackRowProblem: Error, CustomStringConvertible {
    var column: String
    var kind: String
    var description: String { "its \(column) is \(kind), not text" }
}
