/// One independent random stream: a Philox key and the next unused block counter.
/// Its whole state is two integers, so a checkpoint saves it and a resumed run continues the same
/// sequence.
public struct RandomStream: Codable, Equatable, Sendable {
    public var key: UInt64
    public var counter: UInt64

    public init(key: UInt64, counter: UInt64 = 0) {
        self.key = key
        self.counter = counter
    }

    /// Reserves `blocks` consecutive Philox blocks (4 values each) and returns the first counter.
    /// Kernels then compute block `start + i` themselves, in parallel.
    public mutating func reserve(blocks: Int) -> UInt64 {
        let start = counter
        counter &+= UInt64(blocks)
        return start
    }

    public mutating func nextUInt64() -> UInt64 {
        let b = Philox.block(key: key, counter: reserve(blocks: 1))
        return UInt64(b[0]) << 32 | UInt64(b[1])
    }

    /// Uniform in [0, 1).
    public mutating func nextUniform() -> Double { Double(nextUInt64() >> 11) * 0x1.0p-53 }

    /// Uniform integer in 0..<upperBound (rejection sampling: no modulo bias).
    public mutating func nextInt(below upperBound: Int) -> Int {
        precondition(upperBound > 0)
        let bound = UInt64(upperBound)
        let limit = UInt64.max - UInt64.max % bound
        while true {
            let x = nextUInt64()
            if x < limit { return Int(x % bound) }
        }
    }

    /// Standard normal (Box-Muller).
    public mutating func nextNormal() -> Double {
        let u1 = max(nextUniform(), 0x1.0p-53)
        let u2 = nextUniform()
        return (-2 * _log(u1)).squareRoot() * _cos(2 * Double.pi * u2)
    }

    /// Fisher-Yates shuffle of `array` in place.
    public mutating func shuffle<T>(_ array: inout [T]) {
        guard array.count > 1 else { return }
        for i in stride(from: array.count - 1, to: 0, by: -1) {
            array.swapAt(i, nextInt(below: i + 1))
        }
    }
}

/// The run's generator, split by purpose: initialisation, dropout and data order draw from
/// independent streams derived from one seed, so changing one (say, more dropout calls) never
/// shifts another (the data order).
public struct RandomStreams: Codable, Equatable, Sendable {
    public var initialization: RandomStream
    public var dropout: RandomStream
    public var dataOrder: RandomStream

    public init(seed: UInt64) {
        initialization = RandomStream(key: RandomStreams.key(seed: seed, purpose: 1))
        dropout = RandomStream(key: RandomStreams.key(seed: seed, purpose: 2))
        dataOrder = RandomStream(key: RandomStreams.key(seed: seed, purpose: 3))
    }

    /// A key derived from `key` and two numbers (a rank and a step, say), through SplitMix64's
    /// mixer: streams for parties that must draw independently of each other and of the past.
    public static func derivedKey(_ key: UInt64, _ first: UInt64, _ second: UInt64) -> UInt64 {
        var mixer = SplitMix64(seed: key ^ (first &* 0x9E37_79B9_7F4A_7C15))
        var mixed = SplitMix64(seed: mixer.next() ^ (second &* 0xBF58_476D_1CE4_E5B9))
        return mixed.next()
    }

    /// A stream key from the seed and a purpose number, through SplitMix64's mixer.
    static func key(seed: UInt64, purpose: UInt64) -> UInt64 {
        var mixer = SplitMix64(seed: seed ^ (purpose &* 0xA076_1D64_78BD_642F))
        return mixer.next()
    }
}

import Foundation
@inline(__always) func _log(_ x: Double) -> Double { Foundation.log(x) }
@inline(__always) func _cos(_ x: Double) -> Double { Foundation.cos(x) }
