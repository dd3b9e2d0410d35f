import Foundation
import Hummingbird

/// Hummingbird's request context plus what a route tells the access log (its input count).
struct ServingRequestContext: RequestContext {
    var coreContext: CoreRequestContextStorage
    let notes = RequestNotes()

    init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
    }
}

/// What a route notes about its request for the access log. One request's handler and the
/// middleware around it run one after the other in the same task, never at once.
final class RequestNotes: @unchecked Sendable {
    var inputs: Int?
}
