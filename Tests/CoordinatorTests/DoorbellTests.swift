import Testing
@testable import Coordinator

@Suite("Execution loop doorbell")
struct DoorbellTests {
    @Test("a ring before the wait is remembered once; a ring during the wait resumes it; cancellation ends it")
    func ringsAndCancellation() async {
        let bell = Doorbell()
        bell.ring()
        bell.ring()
        await bell.wait()  // remembered: returns at once

        let waiting = Task { await bell.wait() }
        bell.ring()
        await waiting.value

        let cancelled = Task { await bell.wait() }
        cancelled.cancel()
        await cancelled.value
    }
}
