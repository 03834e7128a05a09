package io.parhelia.stdio;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The only path to stdout. The SDK writes a message and its newline in separate calls; bytes are
 * held until the newline so that each line reaches stdout whole, under the same lock that guards
 * {@link #writeLine}. Completed SDK lines are inspected so that answered request ids can be
 * reported to the in-flight tracker only once they are really on stdout.
 */
final class LineAtomicOutput extends OutputStream {

    private static final Logger log = LoggerFactory.getLogger(LineAtomicOutput.class);
    private static final JsonFactory JSON = new JsonFactory();

    private final OutputStream stdout;
    private final Consumer<String> answeredIdKeys;
    private final Runnable onFailure;
    private final ByteArrayOutputStream partialSdkLine = new ByteArrayOutputStream();
    private boolean failed;

    LineAtomicOutput(OutputStream stdout, Consumer<String> answeredIdKeys, Runnable onFailure) {
        this.stdout = stdout;
        this.answeredIdKeys = answeredIdKeys;
        this.onFailure = onFailure;
    }

    /** Writes one complete JSON-RPC message of our own; it must not contain a raw newline. */
    synchronized void writeLine(String json) {
        if (failed) {
            return;
        }
        try {
            writeWholeLine(json.getBytes(StandardCharsets.UTF_8));
        } catch (IOException e) {
            log.warn("stdout write failed: {}", e.getMessage());
        }
    }

    @Override
    public synchronized void write(int b) throws IOException {
        write(new byte[] {(byte) b}, 0, 1);
    }

    @Override
    public synchronized void write(byte[] bytes, int offset, int length) throws IOException {
        int lineStart = offset;
        int end = offset + length;
        for (int i = offset; i < end; i++) {
            if (bytes[i] == '\n') {
                partialSdkLine.write(bytes, lineStart, i - lineStart);
                completeSdkLine();
                lineStart = i + 1;
            }
        }
        partialSdkLine.write(bytes, lineStart, end - lineStart);
    }

    /** Partial lines are never flushed; complete lines are flushed as they are written. */
    @Override
    public void flush() {
    }

    synchronized boolean hasFailed() {
        return failed;
    }

    /** Flushes the underlying stream; it is not closed because the caller owns it. */
    synchronized void flushStdout() {
        if (failed) {
            return;
        }
        try {
            stdout.flush();
        } catch (IOException e) {
            log.warn("stdout flush failed: {}", e.getMessage());
        }
    }

    private void completeSdkLine() throws IOException {
        byte[] line = partialSdkLine.toByteArray();
        partialSdkLine.reset();
        if (failed) {
            throw new IOException("stdout is no longer writable");
        }
        writeWholeLine(line);
        String answeredIdKey = answeredIdKey(line);
        if (answeredIdKey != null) {
            answeredIdKeys.accept(answeredIdKey);
        }
    }

    private void writeWholeLine(byte[] line) throws IOException {
        try {
            stdout.write(line);
            stdout.write('\n');
            stdout.flush();
        } catch (IOException e) {
            failed = true;
            onFailure.run();
            throw e;
        }
    }

    /**
     * The id key of a response line (one with "result" or "error" and no "method"), or null. Only
     * top-level fields are looked at; nested values are skipped without being materialized.
     */
    static String answeredIdKey(byte[] line) {
        try (JsonParser parser = JSON.createParser(line)) {
            if (parser.nextToken() != JsonToken.START_OBJECT) {
                return null;
            }
            String idKey = null;
            boolean hasOutcome = false;
            boolean hasMethod = false;
            while (parser.nextToken() == JsonToken.FIELD_NAME) {
                String field = parser.currentName();
                JsonToken value = parser.nextToken();
                switch (field) {
                    case "id" -> idKey = switch (value) {
                        case VALUE_STRING -> JsonRpcIds.forText(parser.getText());
                        case VALUE_NUMBER_INT, VALUE_NUMBER_FLOAT -> JsonRpcIds.forNumber(parser.getDecimalValue());
                        default -> null;
                    };
                    case "result", "error" -> hasOutcome = true;
                    case "method" -> hasMethod = true;
                    default -> {
                    }
                }
                parser.skipChildren();
            }
            return hasOutcome && !hasMethod ? idKey : null;
        } catch (IOException e) {
            log.warn("Could not inspect an outgoing line: {}", e.getMessage());
            return null;
        }
    }
}
