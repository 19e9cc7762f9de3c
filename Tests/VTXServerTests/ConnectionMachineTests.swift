import XCTest
import VTXHTTP
@testable import VTXServer

final class ConnectionMachineTests: XCTestCase {

    // MARK: keep-alive

    func testKeepAliveServesOneRequestAfterAnother() {
        var c = Client()
        XCTAssertEqual(c.opened(), ["resume", "arm header"], "a new connection must send its request within the header timeout")
        XCTAssertEqual(c.phase, .readingHead)
        XCTAssertEqual(c.send(Client.request("/a")), ["stop timer", "pause", "dispatch 1 GET /a"])
        XCTAssertEqual(c.phase, .inFlight)
        XCTAssertEqual(c.handlerReturned(), [], "the handler answers later")
        XCTAssertEqual(c.respond(1), ["write 200"])
        XCTAssertEqual(c.written(), ["arm idle", "resume"])
        XCTAssertEqual(c.phase, .idle)

        XCTAssertEqual(c.send("GE"), ["arm header", "resume"], "the first byte of the next request starts its header clock")
        XCTAssertEqual(c.send("T /b HTTP/1.1\r\nHost: vtx\r\n\r\n"), ["stop timer", "pause", "dispatch 2 GET /b"])
        XCTAssertEqual(c.answerAtOnce(2), ["write 200", "arm idle", "resume"])
    }

    func testIdleTimeoutClosesWithoutAnAnswer() {
        var c = Client()
        _ = c.opened()
        _ = c.send(Client.request("/a"))
        _ = c.answerAtOnce(1)
        XCTAssertEqual(c.timerFired(), ["close"])
        XCTAssertEqual(c.phase, .closed)
    }

    func testHTTP10KeepAliveStaysOpen() {
        var c = Client()
        _ = c.opened()
        _ = c.send(Client.request("/a", version: "HTTP/1.0", extra: "Connection: keep-alive\r\n"))
        XCTAssertEqual(c.answerAtOnce(1), ["write 200", "arm idle", "resume"])
    }

    // MARK: pipelining

    func testPipelinedRequestsAreDispatchedOneAtATimeInOrder() {
        var c = Client()
        _ = c.opened()
        let burst = Client.request("/a") + Client.request("/b") + Client.request("/c", method: "HEAD")
        XCTAssertEqual(c.send(burst), ["stop timer", "pause", "dispatch 1 GET /a"], "one request at a time")
        XCTAssertEqual(c.handlerReturned(), [])
        XCTAssertEqual(c.respond(2), ["drop 200"], "no answer to a request not yet dispatched")

        // /a answered later, and its bytes take a while: /b waits for them.
        XCTAssertEqual(c.respond(1), ["write 200"])
        XCTAssertEqual(c.written(pending: true), ["arm send"])
        XCTAssertEqual(c.phase, .sending)
        XCTAssertEqual(c.drained(), ["stop timer", "pause", "dispatch 2 GET /b"])

        // /b answered inside its handler: /c waits until the handler has returned.
        XCTAssertEqual(c.respond(2), ["write 200"])
        XCTAssertEqual(c.written(), [])
        XCTAssertEqual(c.phase, .answered)
        XCTAssertEqual(c.handlerReturned(), ["stop timer", "pause", "dispatch 3 HEAD /c"])
        XCTAssertEqual(c.answerAtOnce(3), ["write 200 head", "arm idle", "resume"])
    }

    func testFiftyPipelinedRequestsAnsweredAtOnceComeBackThroughTheHandlerReturn() {
        var c = Client()
        _ = c.opened()
        let paths = (0..<50).map { "/r\($0)" }
        XCTAssertEqual(c.send(paths.map { Client.request($0) }.joined()), ["stop timer", "pause", "dispatch 1 GET /r0"])
        for id in 1..<50 {
            XCTAssertEqual(c.answerAtOnce(id), ["write 200", "stop timer", "pause", "dispatch \(id + 1) GET /r\(id)"])
        }
        XCTAssertEqual(c.answerAtOnce(50), ["write 200", "arm idle", "resume"])
    }

    func testBytesArrivingDuringAnExchangeAreKeptForLater() {
        var c = Client()
        _ = c.opened()
        _ = c.send(Client.request("/a"))
        _ = c.handlerReturned()
        XCTAssertEqual(c.send(Client.request("/b")), ["pause"], "kept, not parsed, and no more reading")
        _ = c.respond(1)
        XCTAssertEqual(c.written(), ["stop timer", "pause", "dispatch 2 GET /b"])
    }

    func testPipelinedPartialRequestRunsTheHeaderClock() {
        var c = Client()
        _ = c.opened()
        XCTAssertEqual(c.send(Client.request("/a") + "GET /b HT"), ["stop timer", "pause", "dispatch 1 GET /a"])
        XCTAssertEqual(c.answerAtOnce(1), ["write 200", "arm header", "resume"])
        XCTAssertEqual(c.phase, .readingHead)
    }

    // MARK: header timeout

    func testHeaderTimeoutIsNotRestartedByTrickledBytes() {
        var c = Client()
        _ = c.opened()
        XCTAssertEqual(c.send("GET / HT"), ["resume"])
        XCTAssertEqual(c.send("TP/1.1\r\n"), ["resume"], "a slowloris does not push its deadline back")
        XCTAssertEqual(c.timerFired(), ["error 408"])
        XCTAssertEqual(c.written(), lingers)
    }

    func testSilentConnectionGets408() {
        var c = Client()
        _ = c.opened()
        XCTAssertEqual(c.timerFired(), ["error 408"])
        XCTAssertEqual(c.written(pending: true), ["arm send"])
        XCTAssertEqual(c.drained(), lingers)
    }

    func testHeaderTimeoutOfAHEADRequestHasNoBody() {
        var c = Client()
        _ = c.opened()
        _ = c.send("HEAD /a HTTP/1.1\r\nHo")
        XCTAssertEqual(c.timerFired(), ["error 408 head"])
    }

    // MARK: errors and lingering close

    func testParseErrorIsAnsweredThenTheConnectionLingers() {
        var c = Client()
        _ = c.opened()
        XCTAssertEqual(c.send("GET / HTTP/1.1\r\n\r\n"), ["error 400"], "no Host")
        XCTAssertEqual(c.written(), lingers)
        XCTAssertEqual(c.phase, .lingering)
        XCTAssertEqual(c.send(Client.request("/more")), [], "discarded while lingering")
        XCTAssertEqual(c.timerFired(), ["close"])
    }

    func testErrorToHEADHasNoBodyUnknownMethodKeepsIt() {
        var head = Client()
        _ = head.opened()
        XCTAssertEqual(head.send("HEAD / HTTP/1.1\r\n\r\n"), ["error 400 head"])
        var unknown = Client()
        _ = unknown.opened()
        XCTAssertEqual(unknown.send("BREW / HTTP/1.1\r\nHost: vtx\r\n\r\n"), ["error 501"])
    }

    func testPipelinedErrorComesAfterTheGoodResponse() {
        var c = Client()
        _ = c.opened()
        XCTAssertEqual(c.send(Client.request("/a") + "GET / HTTP/1.1\r\n\r\n"), ["stop timer", "pause", "dispatch 1 GET /a"])
        XCTAssertEqual(c.answerAtOnce(1), ["write 200", "error 400"])
        XCTAssertEqual(c.written(), lingers)
    }

    func testLingeringEndsOnTheClientsEOF() {
        var c = Client()
        _ = c.opened()
        _ = c.send(Client.request("/a", extra: "Connection: close\r\n"))
        XCTAssertEqual(c.answerAtOnce(1), ["write 200 close"] + lingers)
        XCTAssertEqual(c.drained(), [])
        XCTAssertEqual(c.hangup(), ["close"])
        XCTAssertEqual(c.hangup(), [], "closed once")
    }

    // MARK: close after response

    func testConnectionCloseRequestEndsAfterItsResponseAndNothingAfterIsServed() {
        var c = Client()
        _ = c.opened()
        XCTAssertEqual(c.send(Client.request("/a", extra: "Connection: close\r\n") + Client.request("/b")),
                       ["stop timer", "pause", "dispatch 1 GET /a"])
        XCTAssertEqual(c.answerAtOnce(1), ["write 200 close"] + lingers)
    }

    func testHTTP10WithoutKeepAliveCloses() {
        var c = Client()
        _ = c.opened()
        _ = c.send("GET /a HTTP/1.0\r\n\r\n")
        XCTAssertEqual(c.answerAtOnce(1), ["write 200 close"] + lingers)
    }

    func testResponseAskingForCloseEndsTheConnection() {
        var c = Client()
        _ = c.opened()
        _ = c.send(Client.request("/a") + Client.request("/b"))
        var response = Response.text(503, "busy")
        response.close = true
        XCTAssertEqual(c.answerAtOnce(1, response), ["write 503 close"] + lingers)
    }

    // MARK: backpressure

    func testReadingStaysPausedWhileTheResponseIsQueued() {
        var c = Client()
        _ = c.opened()
        XCTAssertEqual(c.send(Client.request("/a")), ["stop timer", "pause", "dispatch 1 GET /a"])
        XCTAssertEqual(c.respond(1), ["write 200"])
        XCTAssertEqual(c.written(pending: true), ["arm send"], "no resume: a slow reader stops our reading")
        XCTAssertEqual(c.handlerReturned(), [])
        XCTAssertEqual(c.send(Client.request("/b")), ["pause"])
        XCTAssertEqual(c.drained(), ["stop timer", "pause", "dispatch 2 GET /b"])
    }

    func testSendTimeoutCloses() {
        var c = Client()
        _ = c.opened()
        _ = c.send(Client.request("/a"))
        _ = c.respond(1)
        _ = c.written(pending: true)
        XCTAssertEqual(c.timerFired(), ["close"])
    }

    func testTimerIsIgnoredWhileTheHandlerHasTheRequest() {
        var c = Client()
        _ = c.opened()
        _ = c.send(Client.request("/a"))
        XCTAssertEqual(c.timerFired(), [])
        XCTAssertEqual(c.phase, .inFlight)
    }

    // MARK: streaming

    func testStreamIgnoresInputAndDropsASlowClient() {
        var c = Client()
        _ = c.opened()
        _ = c.send(Client.request("/events"))
        XCTAssertEqual(c.startStream(1), ["resume", "stream head 200"], "reading goes on so a hang-up is noticed")
        XCTAssertEqual(c.handlerReturned(), [])
        XCTAssertEqual(c.phase, .streaming)
        XCTAssertTrue(c.machine.isStreaming)
        XCTAssertEqual(c.send(Client.request("/ignored")), [])
        XCTAssertEqual(c.drained(), [])
        XCTAssertEqual(c.chunk(1, size: 100), ["chunk 100"])
        XCTAssertEqual(c.respond(1), ["drop 200"], "a stream has no second answer")
        XCTAssertEqual(c.chunk(1, size: 100, queued: 1000, limit: 1024), ["close"])
        XCTAssertFalse(c.machine.isStreaming)
        XCTAssertEqual(c.chunk(1, size: 1), [])
    }

    func testStreamEndsWithItsFinishOrTheClientsHangup() {
        var a = Client()
        _ = a.opened()
        _ = a.send(Client.request("/events"))
        _ = a.startStream(1)
        XCTAssertEqual(a.finish(1), ["close"])

        var b = Client()
        _ = b.opened()
        _ = b.send(Client.request("/events"))
        _ = b.startStream(1)
        XCTAssertEqual(b.hangup(), ["close"])
    }

    // MARK: shutdown

    func testShutdownClosesAnIdleConnectionNow() {
        var c = Client()
        _ = c.opened()
        XCTAssertEqual(c.shutdown(), ["close"])
    }

    func testShutdownLetsTheResponseFinishThenClosesWithoutLingering() {
        var c = Client()
        _ = c.opened()
        _ = c.send(Client.request("/a") + Client.request("/b"))
        _ = c.handlerReturned()
        XCTAssertEqual(c.shutdown(), [])
        XCTAssertEqual(c.respond(1), ["write 200 close"])
        XCTAssertEqual(c.written(pending: true), ["arm send"])
        XCTAssertEqual(c.drained(), ["close"])
    }

    func testShutdownWhileLingeringCloses() {
        var c = Client()
        _ = c.opened()
        _ = c.send("GET / HTTP/1.1\r\n\r\n")
        _ = c.written()
        XCTAssertEqual(c.shutdown(), ["close"])
    }

    // MARK: refused moves

    func testAnsweringTwiceOrLateIsRefused() {
        var c = Client()
        _ = c.opened()
        _ = c.send(Client.request("/a"))
        XCTAssertEqual(c.answerAtOnce(1), ["write 200", "arm idle", "resume"])
        XCTAssertEqual(c.respond(1), ["drop 200"])
        XCTAssertEqual(c.startStream(1), [])
        XCTAssertEqual(c.finish(1), [], "a responder of an earlier exchange cannot end the connection")
        XCTAssertEqual(c.handlerReturned(), [])
        XCTAssertEqual(c.drained(), [])
        XCTAssertEqual(c.written(), [])
        XCTAssertEqual(c.phase, .idle)
    }

    func testNothingHappensAfterClose() {
        var c = Client()
        _ = c.opened()
        _ = c.send(Client.request("/a"))
        XCTAssertEqual(c.hangup(), ["close"])
        XCTAssertEqual(c.respond(1), ["drop 200"])
        XCTAssertEqual(c.handlerReturned(), [])
        XCTAssertEqual(c.send(Client.request("/b")), [])
        XCTAssertEqual(c.timerFired(), [])
        XCTAssertEqual(c.shutdown(), [])
        XCTAssertEqual(c.written(), [])
        c.machine.abort()
        XCTAssertEqual(c.words(), [])
    }
}

extension Client {
    var phase: ConnectionPhase { machine.phase }
}
