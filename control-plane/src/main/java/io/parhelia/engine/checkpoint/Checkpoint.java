package io.parhelia.engine.checkpoint;

import java.time.Instant;

/** One recorded state of a task's workspace; its files are the manifest blob {@code manifestSha256}. */
public record Checkpoint(String id, String taskId, String owner, Trigger trigger, String label, Instant createdAt,
                         long sizeBytes, int fileCount, String manifestSha256, String agentSessionId, GitState git) {
}
