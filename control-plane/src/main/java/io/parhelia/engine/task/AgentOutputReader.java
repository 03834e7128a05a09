package io.parhelia.engine.task;

import io.parhelia.engine.agent.AgentOutput;
import io.parhelia.engine.agent.StreamJsonParser;
import io.parhelia.engine.runtime.AgentRuntime;
import io.parhelia.engine.runtime.LogChunk;
import io.parhelia.engine.runtime.RuntimeFailure;
import io.parhelia.engine.runtime.RuntimeHandle;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Reads an agent's whole output through its runtime, chunk by chunk, and parses what it reported. */
final class AgentOutputReader {

    private static final Logger log = LoggerFactory.getLogger(AgentOutputReader.class);
    private static final int CHUNK = 1 << 20;

    TaskResult read(AgentRuntime runtime, RuntimeHandle handle) {
        StreamJsonParser parser = new StreamJsonParser();
        ByteArrayOutputStream partialLine = new ByteArrayOutputStream();
        long offset = 0;
        try {
            while (true) {
                LogChunk chunk = runtime.readLog(handle, offset, CHUNK);
                byte[] data = chunk.data();
                int lineStart = 0;
                for (int i = 0; i < data.length; i++) {
                    if (data[i] == '\n') {
                        partialLine.write(data, lineStart, i - lineStart);
                        parser.accept(partialLine.toString(StandardCharsets.UTF_8));
                        partialLine.reset();
                        lineStart = i + 1;
                    }
                }
                partialLine.write(data, lineStart, data.length - lineStart);
                if (data.length == 0 || chunk.nextOffset() >= chunk.size()) {
                    break;
                }
                offset = chunk.nextOffset();
            }
            if (partialLine.size() > 0) {
                parser.accept(partialLine.toString(StandardCharsets.UTF_8));
            }
        } catch (RuntimeFailure e) {
            log.warn("could not read the output of {}: {}", handle.id(), e.getMessage());
        }
        AgentOutput o = parser.output();
        return new TaskResult(o.agentSessionId(), o.resultText(), o.resultSubtype(), o.isError(),
                o.totalCostUsd() == null ? null : o.totalCostUsd().doubleValue(),
                o.inputTokens(), o.outputTokens(), o.numTurns(), o.durationMs());
    }
}
