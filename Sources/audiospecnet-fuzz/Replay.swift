import Foundation

#if !FUZZING
/// Built normally (without libFuzzer), the driver replays files through a target, e.g. to check a crash:
///   FUZZ_TARGET=audio .build/release/audiospecnet-fuzz crash-1234 [more files…]
/// (Under FUZZING libFuzzer provides `main`; this file then declares nothing.)
@main
struct Replay {
    static func main() {
        for path in CommandLine.arguments.dropFirst() {
            guard let data = FileManager.default.contents(atPath: path) else {
                FileHandle.standardError.write(Data("\(path): cannot read\n".utf8))
                exit(1)
            }
            // The same entry libFuzzer calls.
            data.withUnsafeBytes { raw in
                _ = fuzzTestOneInput(raw.bindMemory(to: UInt8.self).baseAddress, raw.count)
            }
            print("\(path): ok")
        }
    }
}
#endif
