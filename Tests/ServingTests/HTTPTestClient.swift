import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A small HTTP/1.1 client over real TCP connections to 127.0.0.1, one request per connection
/// (`Connection: close`). Each request blocks a thread of its own, never one of Swift
/// concurrency's, which the in-process server's handlers run on.
struct HTTPTestClient: Sendable {
    let port: Int

    struct Reply: Sendable {
        var status: Int
        /// Header names lower-cased.
        var headers: [String: String]
        var body: Data
        var text: String { String(decoding: body, as: UTF8.self) }
    }

    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    func get(_ path: String) async throws -> Reply {
        try await send("GET", path)
    }

    func post(_ path: String, json: String) async throws -> Reply {
        try await send("POST", path, body: Data(json.utf8))
    }

    /// Sends the request from a thread of its own; `chunked` sends the body without a length.
    func send(_ method: String, _ path: String, body: Data? = nil, chunked: Bool = false) async throws -> Reply {
        try await withCheckedThrowingContinuation { continuation in
            let thread = Thread {
                continuation.resume(with: Result { try sendBlocking(method, path, body: body, chunked: chunked) })
            }
            thread.start()
        }
    }

    func sendBlocking(_ method: String, _ path: String, body: Data? = nil, chunked: Bool = false) throws -> Reply {
        let socket = try connect()
        defer { close(socket) }
        var head = "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nConnection: close\r\n"
        var payload = body ?? Data()
        if body != nil {
            head += "Content-Type: application/json\r\n"
            if chunked {
                head += "Transfer-Encoding: chunked\r\n"
                var framed = Data()
                // chunks of 1 KiB, as a streaming client might send them
                var offset = 0
                while offset < payload.count {
                    let end = min(offset + 1024, payload.count)
                    framed.append(Data(String(end - offset, radix: 16).utf8) + Data("\r\n".utf8))
                    framed.append(payload[offset..<end])
                    framed.append(Data("\r\n".utf8))
                    offset = end
                }
                framed.append(Data("0\r\n\r\n".utf8))
                payload = framed
            } else {
                head += "Content-Length: \(payload.count)\r\n"
            }
        }
        head += "\r\n"
        // a server may answer (413) and close before reading all of a large body: stop writing then
        _ = write(socket, Data(head.utf8) + payload)
        var received = Data()
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = recv(socket, &buffer, buffer.count, 0)
            if count <= 0 { break }
            received.append(contentsOf: buffer[0..<count])
        }
        return try parse(received)
    }

    /// Opens a connection, sends nothing, and returns how long the server took to close it
    /// (nil if it still had not after `limit` seconds).
    func secondsUntilIdleConnectionCloses(limit: Int) throws -> Double? {
        let socket = try connect()
        defer { close(socket) }
        var timeout = timeval(tv_sec: limit, tv_usec: 0)
        setsockopt(socket, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        let start = Date()
        var byte: UInt8 = 0
        let count = recv(socket, &byte, 1, 0)
        // 0: the server closed the connection; -1 with EAGAIN: the wait ran out
        return count == 0 ? Date().timeIntervalSince(start) : nil
    }

    private func connect() throws -> Int32 {
        let socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard socket >= 0 else { throw Failure(description: "socket: errno \(errno)") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(socket, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard result == 0 else {
            close(socket)
            throw Failure(description: "connect to 127.0.0.1:\(port): errno \(errno)")
        }
        return socket
    }

    /// Writes all of `data` unless the peer closes; never raises SIGPIPE.
    private func write(_ socket: Int32, _ data: Data) -> Bool {
        data.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let sent = Glibc.send(socket, raw.baseAddress! + offset, raw.count - offset, Int32(MSG_NOSIGNAL))
                if sent <= 0 { return false }
                offset += sent
            }
            return true
        }
    }

    private func parse(_ data: Data) throws -> Reply {
        let separator = Data("\r\n\r\n".utf8)
        guard let end = data.range(of: separator) else {
            throw Failure(description: "no complete HTTP response (\(data.count) bytes received)")
        }
        let lines = String(decoding: data[data.startIndex..<end.lowerBound], as: UTF8.self).components(separatedBy: "\r\n")
        let statusParts = lines[0].split(separator: " ")
        guard statusParts.count >= 2, let status = Int(statusParts[1]) else { throw Failure(description: "bad status line \(lines[0])") }
        var headers: [String: String] = [:]
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        var body = Data(data[end.upperBound...])
        if headers["transfer-encoding"]?.lowercased() == "chunked" { body = try dechunk(body) }
        return Reply(status: status, headers: headers, body: body)
    }

    private func dechunk(_ data: Data) throws -> Data {
        var body = Data()
        var rest = data[...]
        while let lineEnd = rest.range(of: Data("\r\n".utf8)) {
            let sizeText = String(decoding: rest[rest.startIndex..<lineEnd.lowerBound], as: UTF8.self)
            guard let size = Int(sizeText.split(separator: ";")[0], radix: 16) else { throw Failure(description: "bad chunk size \(sizeText)") }
            if size == 0 { break }
            let start = lineEnd.upperBound
            body.append(rest[start..<start + size])
            rest = rest[(start + size + 2)...]
        }
        return body
    }
}
