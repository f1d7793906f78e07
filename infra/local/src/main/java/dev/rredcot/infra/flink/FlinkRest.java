package dev.rredcot.infra.flink;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** A client of a Flink cluster's REST API: the cluster overview and the jobs it knows. */
public final class FlinkRest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Duration TIMEOUT = Duration.ofSeconds(5);

  /** {@code GET /overview}: TaskManagers, slots and job counts. */
  public record Overview(
      int taskManagers,
      int slotsTotal,
      int slotsAvailable,
      int jobsRunning,
      int jobsFinished,
      int jobsCancelled,
      int jobsFailed,
      String flinkVersion) {}

  /** One job of {@code GET /jobs/overview}. */
  public record Job(String id, String name, String state, long durationMs) {}

  private final String address;
  private final HttpClient http;

  /** A client of the REST endpoint at {@code host:port}. */
  public FlinkRest(String address) {
    this.address = address;
    this.http = HttpClient.newBuilder().connectTimeout(TIMEOUT).build();
  }

  public String address() {
    return address;
  }

  /**
   * The cluster overview.
   *
   * @throws UncheckedIOException when the endpoint does not answer
   */
  public Overview overview() {
    JsonNode json = get("/overview");
    return new Overview(
        json.path("taskmanagers").asInt(),
        json.path("slots-total").asInt(),
        json.path("slots-available").asInt(),
        json.path("jobs-running").asInt(),
        json.path("jobs-finished").asInt(),
        json.path("jobs-cancelled").asInt(),
        json.path("jobs-failed").asInt(),
        json.path("flink-version").asText());
  }

  /** The jobs the cluster knows, running and finished. */
  public List<Job> jobs() {
    List<Job> jobs = new ArrayList<>();
    for (JsonNode job : get("/jobs/overview").path("jobs")) {
      jobs.add(
          new Job(
              job.path("jid").asText(),
              job.path("name").asText(),
              job.path("state").asText(),
              job.path("duration").asLong()));
    }
    return jobs;
  }

  private JsonNode get(String path) {
    HttpRequest request =
        HttpRequest.newBuilder(URI.create("http://" + address + path)).timeout(TIMEOUT).build();
    try {
      HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString());
      if (response.statusCode() != 200) {
        throw new IOException("HTTP " + response.statusCode() + ": " + response.body());
      }
      return JSON.readTree(response.body());
    } catch (IOException e) {
      throw new UncheckedIOException("Flink REST " + address + path + ": " + e.getMessage(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while asking Flink REST " + address, e);
    }
  }
}
