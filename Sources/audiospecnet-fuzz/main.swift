import _FuzzTargets
import Foundation

// The fuzz driver. Built by Scripts/fuzz.sh with `--sanitize=fuzzer --sanitize=address -Xswiftc -DFUZZING`,
// it hands control to libFuzzer (LLVMFuzzerRunDriver; our own `main` keeps libFuzzer's out of the link);
// built normally, it replays files through the same target, e.g. to check a crash:
//   FUZZ_TARGET=audio audiospecnet-fuzz crash-1234 [more files…]
// The target is chosen by the FUZZ_TARGET environment variable, as libFuzzer owns the command line.

guard let target = ProcessInfo.processInfo.environment["FUZZ_TARGET"], FuzzTargets.names.contains(target) else {
    FileHandle.standardError.write(Data("set FUZZ_TARGET to one of: \(FuzzTargets.names.joined(separator: ", "))\n".utf8))
    exit(2)
}
var selected = target

#if FUZZING
@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(_ argc: UnsafeMutablePointer<Int32>,
                         _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
                         _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> Int32) -> Int32

var argc = CommandLine.argc
var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
exit(LLVMFuzzerRunDriver(&argc, &argv) { data, size in
    let bytes = size == 0 ? [] : [UInt8](UnsafeBufferPointer(start: data!, count: size))
    FuzzTargets.run(selected, bytes)
    return 0
})
#else
for path in CommandLine.arguments.dropFirst() {
    guard let data = FileManager.default.contents(atPath: path) else {
        FileHandle.standardError.write(Data("\(path): cannot read\n".utf8))
        exit(1)
    }
    FuzzTargets.run(target, [UInt8](data))
    print("\(path): ok")
}
#endif
