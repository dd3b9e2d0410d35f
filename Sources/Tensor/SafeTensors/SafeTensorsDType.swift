/// The element types a safetensors header may name, with their sizes in bytes.
///
/// Only whole-byte types are listed: the sub-byte ones (F4, F6_*) are reported as unknown, since
/// nothing in BertKit reads them and their byte length rules differ.
public enum SafeTensorsDType: String, CaseIterable, Sendable {
    case bool = "BOOL"
    case u8 = "U8", i8 = "I8"
    case f8e5m2 = "F8_E5M2", f8e4m3 = "F8_E4M3", f8e8m0 = "F8_E8M0"
    case u16 = "U16", i16 = "I16", f16 = "F16", bf16 = "BF16"
    case u32 = "U32", i32 = "I32", f32 = "F32"
    case u64 = "U64", i64 = "I64", f64 = "F64"

    public var byteSize: Int {
        switch self {
        case .bool, .u8, .i8, .f8e5m2, .f8e4m3, .f8e8m0: return 1
        case .u16, .i16, .f16, .bf16: return 2
        case .u32, .i32, .f32: return 4
        case .u64, .i64, .f64: return 8
        }
    }

    /// F32, F16 and BF16: the types `tensor(named:)` widens to Float32 exactly.
    public var isWidenableFloat: Bool { self == .f32 || self == .f16 || self == .bf16 }

    /// The integer types `int64Values` / `int32Values` read.
    public var isInteger: Bool {
        switch self {
        case .u8, .i8, .u16, .i16, .u32, .i32, .u64, .i64: return true
        default: return false
        }
    }
}
