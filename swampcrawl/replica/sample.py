"""A real story of The Swamp, reproduced from the visible text of its page.

Its page must read like that file, so its text is kept here verbatim: ``p`` is a
paragraph, ``h`` a heading and consecutive ``li`` lines one unordered list.
"""

from __future__ import annotations

SAMPLE_COMMUNITY = "theSwamp"
SAMPLE_TITLE = "With Tensions High, Israel and Iran Secretly Reassured Each Other via Russia"
SAMPLE_SUBTITLE = "Behind the Scenes of a Volatile Region"
SAMPLE_AUTHOR = "Aarif Lashari"
SAMPLE_TAG = ("politics", "politics")
SAMPLE_AGE_DAYS = 4

SAMPLE_BODY: list[tuple[str, str]] = [
    ('p', 'Amid ongoing tensions in the Middle East, Israel and Iran have reportedly engaged in secret communications through Russia, aiming to manage a delicate balance of deterrence and avoid an escalation into open conflict. While public rhetoric between the two nations remains sharply hostile, diplomatic backchannels are being used to reduce the risk of miscalculations that could ignite broader regional warfare.'),
    ('p', 'These reports highlight the complex interplay of geopolitics, intelligence, and strategic signaling in one of the world’s most volatile regions. Both nations, while publicly adversarial, appear to recognize the dangers of a direct confrontation.'),
    ('h', 'The Role of Russia as Mediator'),
    ('p', 'Russia’s involvement in these quiet diplomatic exchanges underscores its influence in Middle Eastern affairs. Acting as a neutral intermediary, Moscow reportedly facilitated messaging between Israel and Iran, allowing each side to convey concerns without public escalation.'),
    ('p', 'Analysts note that Russia benefits from maintaining regional stability while positioning itself as an indispensable power broker. By mediating between two adversaries, Russia strengthens its diplomatic leverage with multiple actors in the region, including Israel, Iran, and the broader Arab world.'),
    ('h', 'What Prompted the Backchannel Communications'),
    ('p', 'Tensions between Israel and Iran have escalated in recent months, with clashes in Syria, cyberattacks, and targeted operations creating mutual suspicion. Key flashpoints include:'),
    ('li', 'Israeli strikes against Iranian-linked forces in Syria and Iraq'),
    ('li', 'Iran’s continued nuclear developments'),
    ('li', 'Retaliatory threats from both nations targeting perceived strategic assets'),
    ('p', 'While both sides maintain a hardline public stance, secret diplomacy suggests a shared interest in preventing an uncontrollable escalation.'),
    ('h', 'Managing the Risk of Miscalculation'),
    ('p', 'Military experts emphasize that in such high-stakes environments, misunderstandings can lead to unintended conflict. Even a single misinterpreted strike or cyberattack could trigger a broader response.'),
    ('p', 'By using Russia as an intermediary, Israel and Iran reportedly exchanged reassurances regarding red lines, operational limits, and avoidance of civilian targets, allowing both sides to maintain deterrence while minimizing risk.'),
    ('p', 'These measures are typical in conflict-prone regions where adversaries must balance public posturing with pragmatic restraint.'),
    ('h', 'Regional Implications'),
    ('p', 'The secret communications carry implications beyond Israel and Iran. Neighboring countries and global powers are closely monitoring developments:'),
    ('li', 'United States: Maintains support for Israel while urging restraint to avoid destabilizing the Middle East'),
    ('li', 'Gulf States: Seek stability to protect energy infrastructure and economic growth'),
    ('li', 'Europe and Asia: Monitor the situation due to concerns over global oil supplies and trade routes'),
    ('p', 'The backchannel reassurances may help prevent an inadvertent chain reaction, which could involve multiple regional actors and trigger international intervention.'),
    ('h', 'Historical Precedent for Quiet Diplomacy'),
    ('p', 'Secret diplomacy is not new in the Middle East. In past decades, adversaries have relied on backchannels to:'),
    ('li', 'Exchange information during crises'),
    ('li', 'Avoid accidental escalation'),
    ('li', 'Signal intentions indirectly'),
    ('p', 'From the Israeli-Egyptian disengagement talks after the Yom Kippur War to U.S.-Iran negotiations on nuclear compliance, informal diplomacy has often prevented conflicts from spiraling beyond control.'),
    ('h', 'Challenges of Public Hostility'),
    ('p', 'While backchannel diplomacy helps mitigate immediate risk, public rhetoric between Israel and Iran continues to fuel tension. Statements from military leaders, political figures, and media outlets often exaggerate threats and hardline positions.'),
    ('p', 'Analysts warn that balancing public posturing with private restraint is a delicate task. Leaders must reassure domestic audiences without undermining confidential agreements or provoking adversaries.'),
    ('h', 'The Limits of Secret Reassurances'),
    ('p', 'Though the secret communications may reduce the risk of immediate confrontation, they cannot resolve underlying strategic conflicts. Disputes over Syria, Iran’s nuclear program, and regional influence remain unresolved.'),
    ('p', 'Long-term solutions would require broader negotiations, possibly involving other powers such as the U.S., European nations, and regional actors. Until then, backchannel diplomacy serves as a stopgap measure to prevent inadvertent escalation.'),
    ('h', 'The Importance of Strategic Signaling'),
    ('p', 'Observers note that the Israel-Iran-Russia channel represents an example of strategic signaling: each side communicates intentions indirectly to avoid misinterpretation while maintaining deterrence.'),
    ('p', 'Such signaling allows nations to:'),
    ('li', 'Preserve public credibility'),
    ('li', 'Maintain operational flexibility'),
    ('li', 'Reduce the risk of unintended conflict'),
    ('p', 'Russia’s mediation role also signals to the international community that Moscow remains a key player capable of influencing high-stakes regional interactions.'),
    ('h', 'Looking Ahead'),
    ('p', 'The secret reassurances between Israel and Iran demonstrate the complexity of modern Middle Eastern geopolitics. While tensions remain high, the willingness to engage through intermediaries suggests that both nations recognize the catastrophic potential of a direct conflict.'),
    ('p', 'Analysts expect that such communications will continue, particularly during periods of heightened military activity or political uncertainty. The situation also underscores the broader need for diplomatic channels and crisis management mechanisms to prevent escalation in one of the world’s most sensitive regions.'),
    ('h', 'Conclusion: Quiet Diplomacy in a Volatile World'),
    ('p', 'Even amid hostile rhetoric and high-profile incidents, Israel and Iran’s use of backchannel communications via Russia highlights a pragmatic approach to conflict management. While it does not resolve underlying disputes, these secret reassurances serve as a critical buffer against unintended escalation.'),
    ('p', 'For the international community, the episode is a reminder that diplomacy often occurs behind the scenes, where careful negotiation and subtle signaling can prevent the worst outcomes—especially in a region where a single misstep could have global repercussions.'),
]
