/*
 * The map page's configuration, as the view passed it in the json_script element
 * "map-config": API addresses, tiles, zoom limits, the vocabularies' labels, perpetrators'
 * names and the interface's strings in the page's language.
 */
export const config = JSON.parse(document.getElementById("map-config").textContent);
export const S = config.strings;
export const arabic = config.language === "ar";
