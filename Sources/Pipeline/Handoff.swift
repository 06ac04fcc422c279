import Dispatch
import Synchronization

/// Hands work from one thread to another through a few slots: the producer waits when they are
/// full, the consumer when they are empty, so two stages of a scan run at once on two cores with
/// at most `capacity` batches between them (memory stays flat however long the scan).
final class Handoff<Item: Sendable>: Sendable {
    private let items = Mutex<[Item?]>([])
    private let filled = DispatchSemaphore(value: 0)
    private let free: DispatchSemaphore
    private let stopped = Atomic<Bool>(false)

    init(capacity: Int) {
        free = DispatchSemaphore(value: capacity)
    }

    /// Hands over an item; waits while every slot is taken.
    func put(_ item: Item) {
        free.wait()
        items.withLock { $0.append(item) }
        filled.signal()
    }

    /// Tells the consumer nothing more is coming.
    func finish() {
        free.wait()
        items.withLock { $0.append(nil) }
        filled.signal()
    }

    /// The next item, or nil once the producer has finished.
    func take() -> Item? {
        filled.wait()
        let item = items.withLock { $0.removeFirst() }
        free.signal()
        return item
    }

    /// The consumer gave up (a failed commit): the producer stops at its next check.
    func stop() { stopped.store(true, ordering: .relaxed) }
    var isStopped: Bool { stopped.load(ordering: .relaxed) }
}
