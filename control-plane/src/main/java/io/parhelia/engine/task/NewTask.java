package io.parhelia.engine.task;

/**
 * What a caller asks for; null fields take the configured defaults.
 *
 * @param workingDirectory an existing directory to run in, instead of a fresh workspace
 * @param resumeSessionId  an agent conversation to resume
 */
public record NewTask(String prompt, String repo, String branch, String workingDirectory, String runtime,
                      Double cpu, Double memoryGb, String gpu, Integer maxTurns, Long timeoutSeconds,
                      String resumeSessionId) {

    public static NewTask ofPrompt(String prompt) {
        return new NewTask(prompt, null, null, null, null, null, null, null, null, null, null);
    }
}
