package io.parhelia.engine.audit;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A second process appending to an audit log: {@code dir writer-name count start-signal}. It opens
 * the log, then waits for the start signal file so its writes overlap the test's own.
 */
public final class AuditWriterProcess {

    private AuditWriterProcess() {
    }

    public static void main(String[] args) throws Exception {
        Path start = Path.of(args[3]);
        try (AuditLog log = new AuditLog(Path.of(args[0]))) {
            System.out.println("ready");
            System.out.flush();
            while (!Files.exists(start)) {
                Thread.onSpinWait();
            }
            for (int i = 0; i < Integer.parseInt(args[2]); i++) {
                log.append("{\"writer\":\"" + args[1] + "\",\"n\":" + i + "}");
                if (i == 0) {
                    System.out.println("writing");
                    System.out.flush();
                }
            }
        }
    }
}
