package io.parhelia.stdio;

import static io.parhelia.stdio.JsonRpcLines.echo;
import static io.parhelia.stdio.JsonRpcLines.initialize;
import static io.parhelia.stdio.JsonRpcLines.toolsList;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.Pipe;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class StdioServerTest {

    private static final Duration GRACE = Duration.ofSeconds(2);

    @Test
    void answersRequestsAndWritesOnlyJsonRpcLinesToStdout() {
        try (ServedSession session = ServedSession.start(TestServers::echoServer, GRACE)) {
            session.handshake();
            session.send(toolsList(2)).send(echo(3, "hello"));

            JsonNode tools = session.awaitReply(2);
            JsonNode echoed = session.awaitReply(3);

            assertThat(tools.at("/result/tools").findValuesAsText("name")).contains("echo", "gate");
            assertThat(echoed.at("/result/content/0/text").asText()).isEqualTo("hello");
            assertThat(session.messages()).allSatisfy(message ->
                    assertThat(message.path("jsonrpc").asText()).isEqualTo("2.0"));
        }
    }

    @Test
    void answersANonJsonLineWithAParseErrorAndKeepsServing() {
        try (ServedSession session = ServedSession.start(TestServers::echoServer, GRACE)) {
            session.send("this is not json");

            JsonNode parseError = session.awaitMessage(message -> message.has("error"));
            session.handshake();
            session.send(toolsList(2));

            assertThat(parseError.get("id").isNull()).isTrue();
            assertThat(parseError.at("/error/code").asInt()).isEqualTo(InboundFilter.PARSE_ERROR);
            assertThat(parseError.at("/error/message").asText()).startsWith("Parse error: ");
            assertThat(session.awaitReply(2).has("result")).isTrue();
        }
    }

    static Stream<Arguments> malformedLines() {
        return Stream.of(
                Arguments.of("{\"jsonrpc\":\"2.0\",\"id\":1} {\"id\":2}", null, InboundFilter.PARSE_ERROR),
                Arguments.of("[{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}]", null, InboundFilter.INVALID_REQUEST),
                Arguments.of("42", null, InboundFilter.INVALID_REQUEST),
                Arguments.of("\"initialize\"", null, InboundFilter.INVALID_REQUEST),
                Arguments.of("{\"foo\":1}", null, InboundFilter.INVALID_REQUEST),
                Arguments.of("{\"jsonrpc\":\"2.0\",\"id\":7}", "7", InboundFilter.INVALID_REQUEST),
                Arguments.of("{\"jsonrpc\":\"1.0\",\"id\":\"a\",\"method\":\"ping\"}", "\"a\"", InboundFilter.INVALID_REQUEST),
                Arguments.of("{\"jsonrpc\":\"2.0\",\"id\":8,\"method\":5}", "8", InboundFilter.INVALID_REQUEST),
                Arguments.of("{\"jsonrpc\":\"2.0\",\"id\":{\"x\":1},\"method\":\"ping\"}", null, InboundFilter.INVALID_REQUEST),
                Arguments.of("{\"jsonrpc\":\"2.0\",\"id\":null,\"method\":\"ping\"}", null, InboundFilter.INVALID_REQUEST));
    }

    @ParameterizedTest
    @MethodSource("malformedLines")
    void answersAMalformedMessageWithAnErrorCarryingItsIdAndKeepsServing(String line, String expectedIdJson,
                                                                         int expectedCode) {
        try (ServedSession session = ServedSession.start(TestServers::echoServer, GRACE)) {
            session.send(line);

            JsonNode error = session.awaitMessage(message -> message.has("error"));
            session.handshake();
            session.send(toolsList(2));

            assertThat(error.at("/error/code").asInt()).isEqualTo(expectedCode);
            assertThat(error.get("id").toString()).isEqualTo(expectedIdJson == null ? "null" : expectedIdJson);
            assertThat(session.awaitReply(2).has("result")).isTrue();
        }
    }

    @Test
    void answersInvalidUtf8WithAParseError() {
        try (ServedSession session = ServedSession.start(TestServers::echoServer, GRACE)) {
            byte[] prefix = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"".getBytes(StandardCharsets.US_ASCII);
            byte[] suffix = "\"}\n".getBytes(StandardCharsets.US_ASCII);
            byte[] line = new byte[prefix.length + 2 + suffix.length];
            System.arraycopy(prefix, 0, line, 0, prefix.length);
            line[prefix.length] = (byte) 0xC3;
            line[prefix.length + 1] = (byte) 0x28;
            System.arraycopy(suffix, 0, line, prefix.length + 2, suffix.length);

            session.sendBytes(line);
            JsonNode error = session.awaitMessage(message -> message.has("error"));
            session.handshake();

            assertThat(error.at("/error/code").asInt()).isEqualTo(InboundFilter.PARSE_ERROR);
            assertThat(error.at("/error/message").asText()).contains("UTF-8");
        }
    }

    @Test
    void readsMultiByteUtf8Intact() {
        try (ServedSession session = ServedSession.start(TestServers::echoServer, GRACE)) {
            session.handshake();
            session.send(echo(4, "héllo ✓ 𝄞"));

            assertThat(session.awaitReply(4).at("/result/content/0/text").asText()).isEqualTo("héllo ✓ 𝄞");
        }
    }

    @Test
    void answersServerDiscoverWithMethodNotFoundBeforeAnyHandshake() {
        try (ServedSession session = ServedSession.start(TestServers::echoServer, GRACE)) {
            session.send("{\"jsonrpc\":\"2.0\",\"id\":\"probe\",\"method\":\"server/discover\",\"params\":{}}");

            JsonNode reply = session.awaitReply("probe");
            session.handshake();

            assertThat(reply.at("/error/code").asInt()).isEqualTo(InboundFilter.METHOD_NOT_FOUND);
            assertThat(reply.at("/error/message").asText()).isEqualTo("Method not found");
            assertThat(session.messages().get(0)).isEqualTo(reply);
        }
    }

    @Test
    void answersAnOversizedLineWithAnErrorAndKeepsServing() {
        int maxLineBytes = 1024;
        try (ServedSession session = ServedSession.start(TestServers::echoServer, GRACE, maxLineBytes)) {
            session.send(echo(1, "x".repeat(5 * maxLineBytes)));

            JsonNode error = session.awaitMessage(message -> message.has("error"));
            session.handshake();
            session.send(echo(2, "small"));

            assertThat(error.get("id").isNull()).isTrue();
            assertThat(error.at("/error/code").asInt()).isEqualTo(InboundFilter.INVALID_REQUEST);
            assertThat(error.at("/error/message").asText()).contains("maximum line size of 1024 bytes");
            assertThat(session.awaitReply(2).at("/result/content/0/text").asText()).isEqualTo("small");
        }
    }

    @Test
    void acceptsCrLfLineEndingsAndCarriageReturnsBetweenTokens() {
        try (ServedSession session = ServedSession.start(TestServers::echoServer, GRACE)) {
            session.sendBytes((initialize("init") + "\r\n").getBytes(StandardCharsets.UTF_8));
            session.awaitReply("init");
            session.send(JsonRpcLines.initialized());
            session.send("{\"jsonrpc\":\"2.0\",\r\"id\":5,\r\"method\":\"tools/list\"}");

            assertThat(session.awaitReply(5).has("result")).isTrue();
        }
    }

    @RepeatedTest(20)
    void repliesToARequestFollowedImmediatelyByEndOfInput() {
        ServedSession session = ServedSession.start(TestServers::echoServer, GRACE);
        session.send(initialize(1));
        session.closeStdin();

        assertThat(session.awaitExit(Duration.ofSeconds(5))).isEqualTo(ExitReason.EOF_DRAINED);
        assertThat(session.findMessage(message -> ServedSession.hasId(message, 1)))
                .hasValueSatisfying(reply -> assertThat(reply.has("result")).isTrue());
    }

    @Test
    void repliesToALastRequestThatHasNoTrailingNewline() {
        ServedSession session = ServedSession.start(TestServers::echoServer, GRACE);
        session.sendBytes(initialize(1).getBytes(StandardCharsets.UTF_8));
        session.closeStdin();

        assertThat(session.awaitExit(Duration.ofSeconds(5))).isEqualTo(ExitReason.EOF_DRAINED);
        assertThat(session.findMessage(message -> ServedSession.hasId(message, 1))).isPresent();
    }

    @Test
    void waitsForAnInFlightToolCallAfterEndOfInput() {
        CountDownLatch gate = new CountDownLatch(1);
        ServedSession session = ServedSession.start(provider -> TestServers.gatedServer(provider, gate),
                Duration.ofSeconds(20));
        session.handshake();
        session.send(JsonRpcLines.callTool(9, "gate", "{}"));
        session.closeStdin();

        await().during(Duration.ofMillis(300)).atMost(Duration.ofSeconds(2)).until(() -> !session.exit().isDone());
        gate.countDown();

        assertThat(session.awaitExit(Duration.ofSeconds(5))).isEqualTo(ExitReason.EOF_DRAINED);
        assertThat(session.awaitReply(9).at("/result/content/0/text").asText()).isEqualTo("opened");
    }

    @Test
    void returnsAfterTheGraceWhenARequestIsHeldBeforeInitialized() {
        Duration grace = Duration.ofMillis(500);
        ServedSession session = ServedSession.start(TestServers::echoServer, grace);
        session.send(toolsList(1));
        long closedAt = System.nanoTime();
        session.closeStdin();

        ExitReason reason = session.awaitExit(Duration.ofSeconds(3));
        Duration elapsed = Duration.ofNanos(System.nanoTime() - closedAt);

        assertThat(reason).isEqualTo(ExitReason.EOF_GRACE_EXPIRED);
        assertThat(elapsed).isGreaterThanOrEqualTo(grace).isLessThan(grace.plusSeconds(2));
    }

    @Test
    void leavesNoNonDaemonThreadsBehindAfterADrainedSession() {
        Set<Thread> before = Thread.getAllStackTraces().keySet();
        ServedSession session = ServedSession.start(TestServers::echoServer, GRACE);
        session.handshake();
        session.send(echo(2, "bye"));
        session.awaitReply(2);
        session.closeStdin();

        assertThat(session.awaitExit(Duration.ofSeconds(5))).isEqualTo(ExitReason.EOF_DRAINED);
        awaitNoNewNonDaemonThreads(before, session.serveThread());
    }

    @Test
    void leavesNoNonDaemonThreadsBehindWhenTheGraceExpires() {
        Set<Thread> before = Thread.getAllStackTraces().keySet();
        ServedSession session = ServedSession.start(TestServers::echoServer, Duration.ofMillis(200));
        session.send(initialize(1));
        session.awaitReply(1);
        session.send(toolsList(2));
        session.closeStdin();

        assertThat(session.awaitExit(Duration.ofSeconds(5))).isEqualTo(ExitReason.EOF_GRACE_EXPIRED);
        awaitNoNewNonDaemonThreads(before, session.serveThread());
    }

    @Test
    void ownErrorLinesNeverInterleaveWithSdkOutput() {
        int pairs = 150;
        String longMessage = "m".repeat(8 * 1024);
        try (ServedSession session = ServedSession.start(TestServers::echoServer, GRACE)) {
            session.handshake();
            for (int i = 0; i < pairs; i++) {
                session.send("garbage " + i);
                session.send(echo(1000 + i, longMessage));
            }

            await().atMost(ServedSession.REPLY_TIMEOUT).until(() -> session.stdoutLines().size() >= 2 * pairs + 1);
            List<JsonNode> messages = session.messages();
            List<JsonNode> echoes = new ArrayList<>();
            long parseErrors = 0;
            for (JsonNode message : messages) {
                if (message.at("/error/code").asInt() == InboundFilter.PARSE_ERROR) {
                    parseErrors++;
                } else if (message.at("/result/content/0/text").asText().equals(longMessage)) {
                    echoes.add(message);
                }
            }
            assertThat(parseErrors).isEqualTo(pairs);
            assertThat(echoes).hasSize(pairs);
        }
    }

    @Test
    void returnsPromptlyWhenStdoutBreaks() throws Exception {
        Pipe stdin = Pipe.open();
        OutputStream brokenStdout = new OutputStream() {
            @Override
            public void write(int b) throws IOException {
                throw new IOException("Broken pipe");
            }
        };
        CompletableFuture<ExitReason> exit = CompletableFuture.supplyAsync(() -> StdioServer.serve(
                TestServers::echoServer, Channels.newInputStream(stdin.source()), brokenStdout, GRACE));
        try (OutputStream clientSide = Channels.newOutputStream(stdin.sink())) {
            clientSide.write((initialize(1) + "\n").getBytes(StandardCharsets.UTF_8));
            clientSide.flush();

            assertThat(exit.get(5, TimeUnit.SECONDS)).isEqualTo(ExitReason.OUTPUT_ERROR);
        }
    }

    @Test
    void returnsWhenTheServingThreadIsInterrupted() {
        try (ServedSession session = ServedSession.start(TestServers::echoServer, GRACE)) {
            session.handshake();

            session.serveThread().interrupt();

            assertThat(session.awaitExit(Duration.ofSeconds(5))).isEqualTo(ExitReason.INTERRUPTED);
        }
    }

    private static void awaitNoNewNonDaemonThreads(Set<Thread> before, Thread serveThread) {
        await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> assertThat(
                Thread.getAllStackTraces().keySet().stream()
                        .filter(thread -> !before.contains(thread) && thread != serveThread)
                        .filter(thread -> thread != Thread.currentThread())
                        .filter(thread -> thread.isAlive() && !thread.isDaemon())
                        .map(Thread::getName))
                .isEmpty());
    }
}
