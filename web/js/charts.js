// Charts with Chart.js (Debian's libjs-chart.js, served at /vendor/chart.js). It is loaded on
// the first chart only, so the first paint does not wait for its 67 KB.

let loading = null;

/** window.Chart, loading the script once; rejects when the server has no Chart.js. */
export function loadChartJS() {
  if (window.Chart) return Promise.resolve(window.Chart);
  if (!loading) {
    loading = new Promise((resolve, reject) => {
      const script = document.createElement('script');
      script.src = '/vendor/chart.js';
      script.onload = () => (window.Chart ? resolve(window.Chart) : reject(new Error('Chart.js did not load')));
      script.onerror = () => {
        loading = null;
        reject(new Error('Chart.js is not available'));
      };
      document.head.append(script);
    });
  }
  return loading;
}

function themeColour(name, fallback) {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim() || fallback;
}

/**
 * Draws (or redraws) a bar or line chart on `canvas`: `labels` along the bottom, one dataset per
 * entry of `series` ({label, values, type}). `formatValue` labels the axis and tooltips
 * (money from minor units). Answers the Chart, or null when Chart.js is missing (the caller keeps its table).
 */
export async function drawChart(canvas, { labels, series, formatValue = String, kind = 'bar' }) {
  let Chart;
  try {
    Chart = await loadChartJS();
  } catch {
    return null;
  }
  Chart.getChart?.(canvas)?.destroy();
  const accent = themeColour('--tg-theme-button-color', '#2481cc');
  const text = themeColour('--tg-theme-hint-color', '#707579');
  const palette = [accent, themeColour('--accent-2', '#e0a030'), themeColour('--accent-3', '#34a853')];
  return new Chart(canvas, {
    type: kind,
    data: {
      labels,
      datasets: series.map((entry, i) => ({
        label: entry.label,
        data: entry.values,
        type: entry.type ?? kind,
        backgroundColor: palette[i % palette.length] + (kind === 'line' ? '33' : 'cc'),
        borderColor: palette[i % palette.length],
        borderWidth: (entry.type ?? kind) === 'line' ? 2 : 0,
        fill: kind === 'line' && !entry.type,
        tension: 0.25,
        pointRadius: 0,
        yAxisID: entry.axis ?? 'y',
      })),
    },
    options: {
      responsive: true,
      maintainAspectRatio: false,
      animation: false,
      interaction: { mode: 'index', intersect: false },
      plugins: {
        legend: { display: series.length > 1, labels: { color: text } },
        tooltip: { callbacks: { label: (item) => `${item.dataset.label}: ${series[item.datasetIndex].format?.(item.raw) ?? formatValue(item.raw)}` } },
      },
      scales: {
        x: { ticks: { color: text, maxRotation: 0, autoSkip: true }, grid: { display: false } },
        y: { ticks: { color: text, callback: (value) => formatValue(value) }, grid: { color: text + '22' }, beginAtZero: true },
        ...(series.some((entry) => entry.axis === 'y2')
          ? { y2: { position: 'right', ticks: { color: text }, grid: { display: false }, beginAtZero: true } }
          : {}),
      },
    },
  });
}
