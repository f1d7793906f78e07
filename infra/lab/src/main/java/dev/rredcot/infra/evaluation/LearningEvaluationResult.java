package dev.rredcot.infra.evaluation;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Path;
import java.util.Map;

/**
 * What {@link LearningEvaluation#run} measured and where it wrote it.
 *
 * @param summaryFile {@code summary.json}
 * @param reportFile {@code report.html}
 * @param initialAccuracy held-out sampled accuracy of the starting checkpoint
 * @param targetAccuracy the target the rollouts-to-target figure uses
 * @param methods figures per arm name
 * @param comparisons paired comparisons with GRPO, by {@code <arm>_vs_grpo}
 * @param summary the content of {@code summary.json}
 */
public record LearningEvaluationResult(
    Path summaryFile,
    Path reportFile,
    double initialAccuracy,
    double targetAccuracy,
    Map<String, LearningMetrics> methods,
    Map<String, PairedComparison> comparisons,
    ObjectNode summary) {}
