/*
 * The marker shapes that carry an incident's event type beside its colour (colour is never
 * the only channel): a circle, square, triangle, downward triangle, diamond or star, each
 * of about the same area for the same radius, traced on the map's canvas or drawn as a
 * small SVG in the legend. Colours reach SVG through presentation attributes, not styles.
 */
const SVG = "http://www.w3.org/2000/svg";

function star() {
  const points = [];
  for (let i = 0; i < 10; i += 1) {
    const angle = -Math.PI / 2 + (i * Math.PI) / 5;
    const radius = i % 2 === 0 ? 1.25 : 0.55;
    points.push([radius * Math.cos(angle), radius * Math.sin(angle)]);
  }
  return points;
}

// Corners on a unit radius (y grows downwards, as on screen).
const POLYGONS = {
  square: [
    [-0.89, -0.89],
    [0.89, -0.89],
    [0.89, 0.89],
    [-0.89, 0.89],
  ],
  triangle: [
    [0, -1.3],
    [1.17, 0.72],
    [-1.17, 0.72],
  ],
  "triangle-down": [
    [0, 1.3],
    [1.17, -0.72],
    [-1.17, -0.72],
  ],
  diamond: [
    [0, -1.25],
    [1.25, 0],
    [0, 1.25],
    [-1.25, 0],
  ],
  star: star(),
};

/** Traces the shape centred on (x, y) with radius r on a canvas context (a new path). */
export function traceShape(ctx, shape, x, y, r) {
  ctx.beginPath();
  const corners = POLYGONS[shape];
  if (!corners) {
    ctx.arc(x, y, r, 0, Math.PI * 2, false);
    return;
  }
  corners.forEach(([dx, dy], index) => {
    if (index === 0) ctx.moveTo(x + dx * r, y + dy * r);
    else ctx.lineTo(x + dx * r, y + dy * r);
  });
  ctx.closePath();
}

/**
 * A small SVG of the shape for the legend and lists. dashed: an outline only, dashed
 * (an incident located to an area). label: its accessible name, or none (decorative).
 */
export function shapeIcon(shape, colour, options) {
  const { dashed = false, label = null } = options || {};
  const svg = document.createElementNS(SVG, "svg");
  svg.setAttribute("class", "shape-icon");
  svg.setAttribute("viewBox", "-8 -8 16 16");
  svg.setAttribute("width", "16");
  svg.setAttribute("height", "16");
  svg.dataset.shape = shape;
  if (label) {
    svg.setAttribute("role", "img");
    svg.setAttribute("aria-label", label);
  } else {
    svg.setAttribute("aria-hidden", "true");
  }
  const corners = POLYGONS[shape];
  let mark;
  if (corners) {
    mark = document.createElementNS(SVG, "polygon");
    mark.setAttribute("points", corners.map(([x, y]) => `${x * 5},${y * 5}`).join(" "));
  } else {
    mark = document.createElementNS(SVG, "circle");
    mark.setAttribute("r", "5.5");
  }
  mark.setAttribute("stroke", colour);
  mark.setAttribute("stroke-width", "1.5");
  mark.setAttribute("fill", dashed ? "none" : colour);
  if (dashed) mark.setAttribute("stroke-dasharray", "2 1.5");
  svg.appendChild(mark);
  return svg;
}
