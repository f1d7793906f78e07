import java.io.File;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.avro.file.DataFileReader;
import org.apache.avro.generic.GenericDatumReader;
import org.apache.avro.generic.GenericRecord;

/**
 * Compares two credit-job outputs ({@code --outputFiles} Avro files of CreditedRollout) by rollout
 * id: same ids, same segment boundaries, largest boundary-value and token-advantage differences.
 *
 * <p>Run with the CLI's classpath: {@code java -cp "$(cat infra/target/runtime-classpath.txt)"
 * docs/tools/CompareCredited.java A.avro B.avro}.
 */
public class CompareCredited {
  static Map<String, GenericRecord> read(String file) throws Exception {
    Map<String, GenericRecord> records = new TreeMap<>();
    try (DataFileReader<GenericRecord> reader =
        new DataFileReader<>(new File(file), new GenericDatumReader<>())) {
      for (GenericRecord record : reader) {
        records.put(record.get("rolloutId").toString(), record);
      }
    }
    return records;
  }

  static double maxDifference(Object a, Object b) {
    List<?> x = (List<?>) a;
    List<?> y = (List<?>) b;
    if (x.size() != y.size()) {
      return Double.POSITIVE_INFINITY;
    }
    double max = 0;
    for (int i = 0; i < x.size(); i++) {
      double d = ((Number) x.get(i)).doubleValue() - ((Number) y.get(i)).doubleValue();
      max = Math.max(max, Math.abs(d));
    }
    return max;
  }

  public static void main(String[] args) throws Exception {
    Map<String, GenericRecord> a = read(args[0]);
    Map<String, GenericRecord> b = read(args[1]);
    int boundariesDiffer = 0;
    int values = 0;
    double maxValue = 0;
    double maxAdvantage = 0;
    for (String id : a.keySet()) {
      if (!b.containsKey(id)) {
        continue;
      }
      GenericRecord x = a.get(id);
      GenericRecord y = b.get(id);
      if (!x.get("segmentBoundaries").equals(y.get("segmentBoundaries"))) {
        boundariesDiffer++;
        continue;
      }
      values += ((List<?>) x.get("boundaryValues")).size();
      maxValue = Math.max(maxValue, maxDifference(x.get("boundaryValues"), y.get("boundaryValues")));
      maxAdvantage =
          Math.max(maxAdvantage, maxDifference(x.get("tokenAdvantages"), y.get("tokenAdvantages")));
    }
    System.out.printf(
        "records %d vs %d, same ids: %b%n", a.size(), b.size(), a.keySet().equals(b.keySet()));
    System.out.printf(
        "segment boundaries differing: %d; boundary values compared: %d, max |diff| %.3g;"
            + " max |token advantage diff| %.3g%n",
        boundariesDiffer, values, maxValue, maxAdvantage);
  }
}
