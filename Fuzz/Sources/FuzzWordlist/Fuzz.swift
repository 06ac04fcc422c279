import FuzzDriver
import FuzzTargets

@_cdecl("FuzzWordlist_main")
func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    runLibFuzzer(argc, argv) { data, size in
        FuzzTargets.wordlist(UnsafeBufferPointer(start: data, count: size))
        return 0
    }
}
