// A release's videos: each <figure class="video"> holds a link to the video on its host. This
// puts a placeholder with a play button in front of it; nothing is requested from the host until
// the reader presses the button, which only then creates the privacy-enhanced player's frame
// (youtube-nocookie.com, DVIDS's embed). Without JavaScript the link is all there is. The page's
// Content-Security-Policy allows frames from these hosts only on pages that have a video.
// Every word it shows comes from the figure, written by the build in the page's language:
// data-play (the button's name), data-note (where the player comes from), data-player (the
// frame's title).

const PLAYERS = {
  "https://www.youtube-nocookie.com/embed/": "YouTube",
  "https://www.dvidshub.net/video/embed/": "DVIDS",
};

function hostOf(embed) {
  for (const [prefix, host] of Object.entries(PLAYERS)) {
    if (embed.startsWith(prefix)) return host;
  }
  return null;
}

function element(tag, className, text) {
  const made = document.createElement(tag);
  made.className = className;
  if (text) made.textContent = text;
  return made;
}

function play(frame, embed, title) {
  const player = document.createElement("iframe");
  player.src = embed;
  player.title = title;
  player.allow = "autoplay; encrypted-media; fullscreen; picture-in-picture";
  player.allowFullscreen = true;
  player.referrerPolicy = "strict-origin-when-cross-origin";
  player.className = "video-player";
  frame.replaceChildren(player);
  player.focus();
}

let count = 0;
for (const figure of document.querySelectorAll("figure.video[data-embed]")) {
  const embed = figure.dataset.embed;
  const host = hostOf(embed);
  const link = figure.querySelector(".video-link a");
  const { play: name, note: source, player: title } = figure.dataset;
  if (!host || !link || !name || !source || !title) continue;
  const frame = element("div", "video-frame");
  const button = element("button", "video-play");
  button.type = "button";
  const note = element("span", "video-play-note", source);
  note.id = `video-note-${++count}`;
  button.append(element("span", "video-play-icon"), element("span", "video-play-text", name), note);
  button.querySelector(".video-play-icon").setAttribute("aria-hidden", "true");
  // the button's name is "Play video: <title>"; where the player comes from is its description
  note.setAttribute("aria-hidden", "true");
  button.setAttribute("aria-describedby", note.id);
  button.addEventListener("click", () => play(frame, embed, title), { once: true });
  frame.append(button);
  figure.prepend(frame);
}
