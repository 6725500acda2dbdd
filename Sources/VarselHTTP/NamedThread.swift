import Foundation

/// Starts a thread that names itself before it runs `body`. Foundation's `Thread.name`, set before
/// `start()`, never reaches the kernel on Linux, and set from the new thread it is applied only if
/// the creating thread has already recorded the new one (a race the creator usually wins: under
/// load the curl thread kept the name it inherited from its creator, a dispatch worker's
/// `oot.default-qos`). The thread writes its name to `/proc/thread-self/comm` (Glibc's
/// `pthread_setname_np` is not imported into Swift, and `prctl` is variadic); the kernel keeps the
/// first 15 bytes (`top -H`, `perf`, `/proc/PID/task/*/comm`).
public enum NamedThread {
    public static func start(_ name: String, _ body: @escaping @Sendable () -> Void) {
        let thread = Thread {
            try? String(decoding: name.utf8.prefix(15), as: UTF8.self).write(toFile: "/proc/thread-self/comm", atomically: false, encoding: .utf8)
            body()
        }
        thread.start()
    }
}
