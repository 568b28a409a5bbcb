// The process entry for a harness built by SwiftPM. SwiftPM links an executable target with
// `main` defined as `<Target>_main`, which a `-parse-as-library` harness does not define; so
// each harness defines `<Target>_main` and calls `runFuzzer`, which hands control to
// libFuzzer's driver (what libFuzzer's own `main` does). Owns nothing else.

/// A libFuzzer target: called once per input with its bytes.
public typealias FuzzTarget = @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt

/// libFuzzer's driver (compiler-rt's FuzzerInterface.h):
/// `int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*UserCb)(const uint8_t *, size_t))`.
/// Declared here by symbol name: all its arguments are pointers and integers, which Swift
/// passes as C does.
@_silgen_name("LLVMFuzzerRunDriver")
private func LLVMFuzzerRunDriver(
    _ argc: UnsafeMutablePointer<CInt>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
    _ target: FuzzTarget
) -> CInt

/// Runs libFuzzer with the process arguments and `target`; returns its exit status.
public func runFuzzer(
    argc: CInt, argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?, _ target: FuzzTarget
) -> CInt {
    var argc = argc
    var argv = argv
    return LLVMFuzzerRunDriver(&argc, &argv, target)
}
