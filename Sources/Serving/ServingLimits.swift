/// How the server batches and what it accepts: `bertkit serve`'s options (docs/serving.md has
/// the reasons for the defaults).
struct ServingLimits: Sendable {
    /// Features per forward pass at most.
    var maxBatchSize = 32
    /// Tokens per forward pass at most, counted as features × the longest of them (the padded
    /// size, which bounds attention's memory whether or not the head lets padding be skipped).
    /// A feature longer than this still runs, alone.
    var maxBatchTokens = 8192
    /// How long the batch thread waits for more work once it has some, counted from the oldest
    /// waiting request's arrival; a batch that is already full runs at once. 0 by default:
    /// requests that arrive while a pass runs form the next pass anyway, so waiting only adds
    /// latency when the server is not busy (BENCHMARKS.md, sitting 11).
    var maxWaitMilliseconds = 0
    /// Inputs admitted and not yet taken into a forward pass, at most; a request that would
    /// pass it is answered 503 with Retry-After.
    var maxQueue = 1024
    /// Request body bytes at most (413 beyond).
    var maxBodyBytes = 1 << 20
    /// Inputs per request at most (413 beyond).
    var maxInputs = 64
    /// A connection that neither sends nor receives for this long is closed, so that slow or
    /// abandoned clients cannot hold the server's sockets.
    var idleTimeoutSeconds = 60
}
