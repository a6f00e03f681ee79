import _FuzzTargets
import Foundation

// libFuzzer's entry point. Scripts/fuzz.sh builds this product with `--sanitize=fuzzer --sanitize=address
// -Xswiftc -sanitize=fuzzer,address -Xswiftc -DFUZZING`: SwiftPM then compiles it as a library and links
// libFuzzer's own `main`, which calls this function with each input. The target is chosen by the
// FUZZ_TARGET environment variable, as libFuzzer owns the command line.

/// Read once, on the first input (a global outside main.swift is initialised lazily).
let fuzzTarget: String = {
    guard let name = ProcessInfo.processInfo.environment["FUZZ_TARGET"], FuzzTargets.names.contains(name) else {
        FileHandle.standardError.write(Data("set FUZZ_TARGET to one of: \(FuzzTargets.names.joined(separator: ", "))\n".utf8))
        exit(2)
    }
    return name
}()

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let bytes = size == 0 ? [] : [UInt8](UnsafeBufferPointer(start: data!, count: size))
    FuzzTargets.run(fuzzTarget, bytes)
    return 0
}
