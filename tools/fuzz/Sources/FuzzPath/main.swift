import VTXHTTP
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ start: UnsafePointer<UInt8>, _ count: Int) -> CInt {
    let s = String(decoding: UnsafeBufferPointer(start: start, count: count), as: UTF8.self)
    _ = decodeRequestPath(s[...])
    return 0
}
