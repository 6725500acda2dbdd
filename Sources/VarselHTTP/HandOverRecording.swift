/// What keeps, durably, which requests were handed to libcurl: the proof, after a crash, of which
/// requests may have left and which never did.
///
/// A request with a ``HTTPRequest/handOverMark`` is handed to libcurl only after ``record(_:)``
/// returned for its mark; when it throws, the request fails with `requestMayHaveReachedServer`
/// false and nothing is sent. It runs on the client's curl thread, once for all the requests an
/// iteration of its loop hands over, and may block for as long as a durable write takes.
public protocol HandOverRecording: Sendable {
    func record(_ marks: [Int64]) throws
}
