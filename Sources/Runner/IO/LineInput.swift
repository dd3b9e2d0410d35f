import Foundation

/// Lines of a file or of standard input (`-`), read as bytes and decoded per line so that an
/// invalid UTF-8 line is reported by number instead of failing the whole input.
struct LineInput {
    let name: String
    private let handle: FileHandle

    /// `path` nil or "-" reads standard input.
    init(path: String?) throws {
        if let path, path != "-" {
            guard let handle = FileHandle(forReadingAtPath: path) else {
                throw CLIError("\(path): cannot open for reading")
            }
            self.handle = handle
            name = path
        } else {
            handle = FileHandle.standardInput
            name = "<stdin>"
        }
    }

    /// Calls `body(lineNumber, text)` for every line (1-based), without the newline.
    func forEachLine(_ body: (Int, String) throws -> Void) throws {
        var buffer = Data()
        var lineNumber = 0
        func emit(_ bytes: Data) throws {
            lineNumber += 1
            var bytes = bytes
            if bytes.last == 0x0D { bytes.removeLast() }
            guard let text = String(data: bytes, encoding: .utf8) else {
                throw CLIError("\(name):\(lineNumber): the line is not valid UTF-8")
            }
            try body(lineNumber, text)
        }
        while true {
            let chunk = handle.readData(ofLength: 1 << 20)
            if chunk.isEmpty { break }
            buffer.append(chunk)
            while let newline = buffer.firstIndex(of: 0x0A) {
                try emit(buffer[buffer.startIndex..<newline])
                buffer.removeSubrange(buffer.startIndex...newline)
            }
        }
        if !buffer.isEmpty { try emit(buffer) }
    }
}

/// Buffered standard output for line-oriented results.
final class LineOutput {
    private var buffer = Data()
    func write(_ line: String) {
        buffer.append(contentsOf: line.utf8)
        buffer.append(0x0A)
        if buffer.count > 1 << 16 { flush() }
    }
    func flush() {
        FileHandle.standardOutput.write(buffer)
        buffer.removeAll(keepingCapacity: true)
    }
    deinit { flush() }
}

/// A user-facing error: the message is printed as is, the exit code is 1.
public struct CLIError: Error, CustomStringConvertible {
    public let description: String
    public init(_ message: String) { description = message }
}
