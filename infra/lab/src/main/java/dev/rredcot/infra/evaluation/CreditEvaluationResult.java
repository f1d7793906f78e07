package dev.rredcot.infra.evaluation;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Path;
import java.util.Map;

/**
 * What {@link CreditEvaluation#run} measured and where it wrote it.
 *
 * @param summaryFile {@code summary.json}
 * @param reportFile {@code report.html}
 * @param methods figures per method name
 * @param groundTruth the ground truth's own figures (localisation ceiling, its cost)
 * @param segmentationAblation rredcot-answer per segmentation strategy
 * @param targetSegmentsAblation rredcot-answer (hybrid) per target segment count
 * @param summary the content of {@code summary.json}
 */
public record CreditEvaluationResult(
    Path summaryFile,
    Path reportFile,
    Map<String, CreditMetrics> methods,
    CreditMetrics groundTruth,
    Map<String, CreditMetrics> segmentationAblation,
    Map<String, CreditMetrics> targetSegmentsAblation,
    ObjectNode summary) {}
