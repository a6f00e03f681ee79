import Foundation

/// Lines for people go to stderr; stdout stays clean for results (tables, JSON lines) that scripts read.
enum FileHandleOutput {
    static func standardError(_ line: String) {
        FileHandle.standardError.write(Data((line + "\n").utf8))
    }
}
