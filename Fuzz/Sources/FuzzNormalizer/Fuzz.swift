import FuzzDriver
import FuzzTargets

@_cdecl("FuzzNormalizer_main")
func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    runLibFuzzer(argc, argv) { data, size in
        FuzzTargets.normalizer(UnsafeBufferPointer(start: data, count: size))
        return 0
    }
}
