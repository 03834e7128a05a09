package io.parhelia.engine.task;

import io.parhelia.engine.runtime.Resources;
import java.time.Instant;

/**
 * One attempt at running an agent on a prompt. A retry is a new task whose {@code parentTaskId} is
 * the attempt before it and whose {@code rootTaskId} is the first attempt. An interactive task's
 * agent takes typed input through parhelia_session_send; a task without {@code network} runs its agent
 * with no network at all.
 */
public record Task(
        String id,
        String owner,
        String prompt,
        String repo,
        String branch,
        String workingDirectory,
        String workspace,
        String runtime,
        Resources resources,
        int maxTurns,
        long timeoutSeconds,
        int attempt,
        String parentTaskId,
        String rootTaskId,
        String resumeSessionId,
        boolean interactive,
        boolean network,
        TaskStatus status,
        String statusReason,
        Instant createdAt,
        Instant startedAt,
        Instant endedAt,
        Instant updatedAt,
        Integer exitCode,
        TaskResult result) {
}
