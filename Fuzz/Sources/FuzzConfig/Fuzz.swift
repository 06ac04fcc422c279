import FuzzDriver
import FuzzTargets

@_cdecl("FuzzConfig_main")
func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    runLibFuzzer(argc, argv) { data, size in
        FuzzTargets.config(UnsafeBufferPointer(start: data, count: size))
        return 0
    }
}
