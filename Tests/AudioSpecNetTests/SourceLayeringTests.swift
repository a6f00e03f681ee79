import Foundation
import XCTest

/// docs/architecture.md's dependency direction, checked on the sources: which folders' declarations each
/// folder of `Sources/AudioSpecNet` uses. Swift has no imports between folders of one module, so this reads
/// the text: the top-level types, functions and constants each folder declares, and where their names are
/// used (types by name; lowercase functions only where called, `name(` not after a dot, so a property of
/// the same name is not a use). Comments and string literals are left out.
final class SourceLayeringTests: XCTestCase {
    /// What each folder may use, besides itself: the stages below it (docs/architecture.md#stages).
    static let allowed: [String: Set<String>] = {
        let network: Set<String> = ["Support", "Tensor", "Kernels", "Layers", "Model"]
        let sound: Set<String> = ["Support", "Audio", "Features"]
        return [
            "Support": [],
            "Tensor": ["Support"],
            "Kernels": ["Support", "Tensor"],
            "Layers": ["Support", "Tensor", "Kernels"],
            "Audio": ["Support"],
            "Features": ["Support", "Audio"],
            // a model file records the front end it was trained with
            "Model": ["Support", "Tensor", "Kernels", "Layers", "Features"],
            // eval's default folds are the test fold a model file records
            "Data": sound.union(["Model"]),
            // the learning curves plot `EpochMetrics` rows
            "Visualization": ["Support", "Model"],
            "Inference": network.union(sound).union(["Visualization"]),
            // the process group of `mpirun` training
            "Distributed": ["Support"],
            // validation's scores and confusion picture go to TensorBoard
            "Training": network.union(sound).union(["Data", "Visualization", "Distributed", "Evaluation"]),
            "Evaluation": network.union(sound).union(["Data", "Inference", "Visualization"]),
            "Export": network.union(sound).union(["Inference"]),
            "Benchmark": network.union(sound).union(["Training"]),
        ]
    }()

    static var library: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Sources/AudioSpecNet")
    }

    func testEachFolderUsesOnlyTheStagesBelowIt() throws {
        let fm = FileManager.default
        var files: [(folder: String, name: String, text: String)] = []
        for folder in try fm.contentsOfDirectory(atPath: Self.library.path).sorted() {
            let dir = Self.library.appendingPathComponent(folder)
            for name in (try? fm.contentsOfDirectory(atPath: dir.path)) ?? [] where name.hasSuffix(".swift") {
                files.append((folder, name, try String(contentsOf: dir.appendingPathComponent(name), encoding: .utf8)))
            }
        }
        XCTAssertGreaterThan(files.count, 50, "the sources were not found at \(Self.library.path)")
        let folders = Set(files.map(\.folder))
        XCTAssertEqual(folders, Set(Self.allowed.keys), "every folder has a row in `allowed`, and only those")
        let violations = Layering.violations(files, allowed: Self.allowed)
        XCTAssertEqual(violations, [], "uses against the dependency direction:\n" + violations.joined(separator: "\n"))
    }

    /// The table itself points one way: no folder reaches itself through what it may use.
    func testTheDirectionHasNoCycle() {
        for start in Self.allowed.keys {
            var seen = Set<String>(), stack = Array(Self.allowed[start] ?? [])
            while let next = stack.popLast() {
                XCTAssertNotEqual(next, start, "\(start) may reach itself")
                if seen.insert(next).inserted { stack += Self.allowed[next] ?? [] }
            }
        }
    }

    /// The scanner finds a use against the direction, and not a property or a comment that shares a name.
    func testTheScannerFindsABackEdge() {
        let files: [(folder: String, name: String, text: String)] = [
            ("Support", "A.swift", "public struct Helper {}\npublic func clamp(_ x: Float) -> Float { x }\n"),
            ("Training", "B.swift", "public final class Trainer {}\n"),
            ("Model", "C.swift", "struct M { var clamp = 0\n // Trainer is mentioned\n let s = \"Trainer\"\n func f() { _ = clamp; _ = Helper() } }\n"),
            ("Model", "D.swift", "func g() -> Int { let t: Trainer? = nil; return clamp(1) > 0 && t == nil ? 1 : 0 }\n"),
        ]
        let allowed: [String: Set<String>] = ["Support": [], "Training": ["Support", "Model"], "Model": ["Support"]]
        XCTAssertEqual(Layering.violations(files, allowed: allowed), ["Model/D.swift uses Training's Trainer"])
    }
}

enum Layering {
    /// One line per (file, name) used from a folder that `allowed` does not list for the file's folder.
    static func violations(_ files: [(folder: String, name: String, text: String)], allowed: [String: Set<String>]) -> [String] {
        let code = files.map { stripped($0.text) }
        var owner: [String: String] = [:]
        for (file, text) in zip(files, code) {
            for name in matches(declaration, in: text) where owner[name] == nil { owner[name] = file.folder }
        }
        var out: [String] = []
        for (file, text) in zip(files, code) {
            var used = Set(matches(typeName, in: text))
            used.formUnion(matches(call, in: text))
            for name in used.sorted() {
                guard let folder = owner[name], folder != file.folder, !(allowed[file.folder] ?? []).contains(folder) else { continue }
                out.append("\(file.folder)/\(file.name) uses \(folder)'s \(name)")
            }
        }
        return out.sorted()
    }

    /// A top-level declaration (at the start of a line): its name.
    static let declaration = try! NSRegularExpression(
        pattern: #"^(?:@\w+(?:\([^)\n]*\))?\s+)*(?:(?:public|internal|final|indirect|open)\s+)*(?:struct|class|enum|protocol|typealias|actor|func|let|var)\s+([A-Za-z_]\w*)"#,
        options: .anchorsMatchLines)
    static let typeName = try! NSRegularExpression(pattern: #"\b([A-Z]\w*)\b"#)
    /// A call of a lowercase name, not a member (`.name(`) nor a declaration (`func name(`).
    static let call = try! NSRegularExpression(pattern: #"(?<![.\w])(?<!func )([a-z]\w*)\("#)

    static func matches(_ regex: NSRegularExpression, in text: String) -> [String] {
        let ns = text as NSString
        return regex.matches(in: text, range: NSRange(location: 0, length: ns.length)).map { ns.substring(with: $0.range(at: 1)) }
    }

    /// The text without string literals and comments (the names they mention are not uses); strings
    /// first, so that a `//` inside one ("http://…") is not taken for a comment.
    static func stripped(_ text: String) -> String {
        var t = text.replacingOccurrences(of: #""""[\s\S]*?""""#, with: "\"\"", options: .regularExpression)
        t = t.replacingOccurrences(of: #""(?:[^"\\\n]|\\.)*""#, with: "\"\"", options: .regularExpression)
        t = t.replacingOccurrences(of: #"/\*[\s\S]*?\*/"#, with: " ", options: .regularExpression)
        return t.replacingOccurrences(of: #"//[^\n]*"#, with: "", options: .regularExpression)
    }
}
